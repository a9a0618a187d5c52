"""Wiring of the region's security services (`SecurityPosture`) from `azora:posture`.

Config delivers to the audit archive (under ``config/``, with the archive's key); Macie scans the
buckets the composition knows hold personal data; global resource types are recorded in the primary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alerting import AlertTopics
from components.audit import AuditTrail
from components.posture import SecurityPosture, SecurityPostureArgs

from ..config import StackConfig


def build_posture(cfg: StackConfig, stack: str, provider: aws.Provider, alerts: AlertTopics,
                  audit: AuditTrail | None,
                  personal_bucket_names: Sequence[pulumi.Input[str]] = ()) -> SecurityPosture | None:
    p = cfg.posture
    if not p.enabled:
        return None
    if audit is None:  # config validation refuses this combination; a program calling us directly gets told
        raise ValueError(f"azora:posture needs azora:audit in {stack}: AWS Config delivers to the audit archive")
    g = p.guard_duty
    return SecurityPosture("posture", SecurityPostureArgs(
        region=cfg.region, name_prefix=f"azora-{stack}", page_topic_arn=alerts.page_topic_arn,
        config_bucket_name=audit.archive_bucket_name, config_key_arn=audit.key_arn,
        config_prefix=audit.config_prefix, record_global_types=cfg.leads_environment, config_rules=p.config_rules,
        guardduty_features=g.features, manage_eks_agent=g.manage_eks_agent, page_severity=g.page_severity,
        security_hub_standards=p.security_hub_standards, access_analyzer=p.access_analyzer,
        inspector_resource_types=p.inspector, macie=p.macie, macie_bucket_names=list(personal_bucket_names),
        depends_on=audit.ready,
    ), provider)


def posture_outputs(posture: SecurityPosture | None) -> dict[str, Any]:
    if posture is None:
        return {}
    return {"guardDutyDetectorId": posture.detector_id, "configRecorderName": posture.recorder_name}
