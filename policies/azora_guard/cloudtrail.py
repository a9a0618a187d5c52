"""CloudTrail trails and event data stores."""

from __future__ import annotations

from . import tokens as T
from .rules import prop_rule

prop_rule("cloudtrail-kms", (T.CLOUDTRAIL,), lambda r: r.present("kmsKeyId"))
prop_rule("cloudtrail-log-file-validation", (T.CLOUDTRAIL,), lambda r: r.get("enableLogFileValidation") is True)
prop_rule("cloudtrail-cloudwatch-logs", (T.CLOUDTRAIL,), lambda r: r.present("cloudWatchLogsGroupArn"))
prop_rule("cloudtrail-multi-region", (T.CLOUDTRAIL,), lambda r: r.get("isMultiRegionTrail") is True)
prop_rule("cloudtrail-logging-enabled", (T.CLOUDTRAIL,), lambda r: r.get("enableLogging") is not False)
prop_rule("cloudtrail-sns-topic", (T.CLOUDTRAIL,), lambda r: r.present("snsTopicName"))
prop_rule("cloudtrail-event-data-store-cmk", (T.CLOUDTRAIL_EDS,), lambda r: r.present("kmsKeyId"))
