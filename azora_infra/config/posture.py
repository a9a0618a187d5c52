"""`azora:posture`: the region's security services (each region stack enables its own).

```yaml
azora:posture:
  configRules: true            # AWS Config managed rules mirroring the pack's critical rules
  guardDuty:
    features: [S3_DATA_EVENTS, EKS_AUDIT_LOGS, EBS_MALWARE_PROTECTION, RDS_LOGIN_EVENTS, RUNTIME_MONITORING]
    pageSeverity: 7            # findings at or above this severity page (7 = high)
  securityHubStandards: [aws-foundational-security-best-practices/v/1.0.0, cis-aws-foundations-benchmark/v/3.0.0]
  accessAnalyzer: true
  inspector: [ECR, EC2]
  macie: true                  # sensitive-data discovery on the stack's personal-data buckets
```

AWS Config records every supported resource type; global types (IAM) only in the primary stack.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .base import ConfigModel

GuardDutyFeature = Literal["S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS",
                           "RUNTIME_MONITORING", "LAMBDA_NETWORK_LOGS"]
DEFAULT_FEATURES: tuple[GuardDutyFeature, ...] = (
    "S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING")
Standard = Literal["aws-foundational-security-best-practices/v/1.0.0", "cis-aws-foundations-benchmark/v/3.0.0",
                   "cis-aws-foundations-benchmark/v/1.4.0", "nist-800-53/v/5.0.0", "pci-dss/v/3.2.1"]
DEFAULT_STANDARDS: tuple[Standard, ...] = (
    "aws-foundational-security-best-practices/v/1.0.0", "cis-aws-foundations-benchmark/v/3.0.0")


class GuardDutyConfig(ConfigModel):
    features: tuple[GuardDutyFeature, ...] = DEFAULT_FEATURES
    #: runtime monitoring installs and updates its agent as an EKS add-on
    manage_eks_agent: bool = True
    page_severity: float = Field(default=7.0, ge=1.0, le=8.9)

    @field_validator("features")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError("lists a feature twice")
        return v


class PostureConfig(ConfigModel):
    #: enable the security services (a prod stack without them fails the policy pack)
    enabled: bool = True
    config_rules: bool = True
    guard_duty: GuardDutyConfig = Field(default_factory=GuardDutyConfig)
    security_hub_standards: tuple[Standard, ...] = DEFAULT_STANDARDS
    access_analyzer: bool = True
    inspector: tuple[Literal["EC2", "ECR", "LAMBDA", "LAMBDA_CODE"], ...] = ("ECR", "EC2")
    macie: bool = True
