"""Wiring of the region's audit trail (`AuditTrail`) from `azora:audit`.

The trail records object-level events on the buckets the composition knows hold personal or
confidential data (passed in by `azora_infra.stack`); only the primary's trail records the global
services (IAM, STS, CloudFront), so they are recorded once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alerting import AlertTopics
from components.audit import AuditTrail, AuditTrailArgs

from ..config import StackConfig


def build_audit(cfg: StackConfig, stack: str, provider: aws.Provider, alerts: AlertTopics,
                data_bucket_arns: Sequence[pulumi.Input[str]] = (),
                incident_plan_arn: pulumi.Input[str] | None = None) -> AuditTrail | None:
    """``incident_plan_arn``: the page response plan the CIS alarms also open an incident with."""
    a = cfg.audit
    if not a.enabled:
        return None
    return AuditTrail("audit", AuditTrailArgs(
        region=cfg.region, name_prefix=f"azora-{stack}", page_topic_arn=alerts.page_topic_arn,
        incident_plan_arn=incident_plan_arn, runbook_base=cfg.observability.runbook_base_url,
        data_event_bucket_arns=list(data_bucket_arns) if a.data_events else [],
        include_global_service_events=cfg.leads_environment, retention_years=a.retention_years,
        archive_after_days=a.archive_after_days, archive_storage_class=a.archive_storage_class,
        log_retention_days=a.log_retention_days or cfg.preset.log_retention_days, cis_alarms=a.cis_alarms,
        key_deletion_window_days=cfg.kms.deletion_window_days, protect=cfg.preset.protect,
    ), provider)


def audit_outputs(audit: AuditTrail | None) -> dict[str, Any]:
    """Stack exports: the trail and the archive (operators pull compliance evidence from it)."""
    if audit is None:
        return {}
    return {"auditTrailArn": audit.trail_arn, "auditArchiveBucket": audit.archive_bucket_name,
            "auditKeyArn": audit.key_arn, "auditLogGroup": audit.log_group_name}
