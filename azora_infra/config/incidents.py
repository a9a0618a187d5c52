"""`azora:incidents`: AWS Systems Manager Incident Manager (components/incidents.py).

Incident Manager is one per account: the primary stack's file holds the on-call contacts and the
escalation per severity; the other stacks only say ``enabled: true`` (their page alarms then open
incidents through the primary's response plans, read by StackReference).

```yaml
azora:incidents:                 # primary stack
  enabled: true
  contacts:
    oncall-primary: {name: Primary on-call, email: oncall@azora.example, sms: "+27820000001"}
    oncall-secondary: {name: Secondary on-call, email: oncall2@azora.example}
  escalation:
    page:                        # engaged in order until someone acknowledges
      - {contacts: [oncall-primary], minutes: 5}
      - {contacts: [oncall-secondary], minutes: 10}
    ticket:
      - {contacts: [oncall-secondary], minutes: 30}
```

Every contact channel is activated once by its owner (Incident Manager sends a code). Incident
Manager is closed to new customers since 7 November 2025: keep ``enabled: false`` in an account
that never onboarded.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import ConfigModel, FieldError
from .validators import EMAIL

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,60}$")
Severity = Literal["page", "ticket"]
#: Incident Manager impact per severity (1 critical ... 5 no impact)
DEFAULT_IMPACT: dict[Severity, int] = {"page": 1, "ticket": 3}


class ContactConfig(ConfigModel):
    name: str = Field(min_length=1, max_length=255)
    email: str | None = None
    sms: str | None = None
    voice: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not EMAIL.match(v):
            raise ValueError(f"{v!r} is not an e-mail address")
        return v

    @field_validator("sms", "voice")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is not None and not E164.match(v):
            raise ValueError(f"{v!r} is not an E.164 phone number (+<country><number>)")
        return v

    @model_validator(mode="after")
    def _reachable(self) -> ContactConfig:
        if not (self.email or self.sms or self.voice):
            raise ValueError("needs a channel: email, sms or voice")
        return self


class StageConfig(ConfigModel):
    contacts: tuple[str, ...] = Field(min_length=1)
    #: minutes to wait for an acknowledgement before the next stage
    minutes: int = Field(default=5, ge=0, le=30)


class IncidentsConfig(ConfigModel):
    enabled: bool = False
    contacts: dict[str, ContactConfig] = Field(default_factory=dict)
    escalation: dict[Severity, tuple[StageConfig, ...]] = Field(default_factory=dict)
    #: incident impact per severity (1 critical ... 5 no impact)
    impact: dict[Severity, int] = Field(default_factory=lambda: dict(DEFAULT_IMPACT))

    @field_validator("contacts")
    @classmethod
    def _keys(cls, v: dict[str, ContactConfig]) -> dict[str, ContactConfig]:
        for key in v:
            if not _KEY.match(key):
                raise ValueError(f"contact key {key!r}: lowercase letters, digits, - and _")
        return v

    @field_validator("impact")
    @classmethod
    def _impact(cls, v: dict[Severity, int]) -> dict[Severity, int]:
        for severity, impact in v.items():
            if not 1 <= impact <= 5:
                raise ValueError(f"{severity}: impact must be 1 (critical) to 5 (no impact)")
        return v

    @model_validator(mode="after")
    def _escalations_name_contacts(self) -> IncidentsConfig:
        for severity, stages in self.escalation.items():
            for i, stage in enumerate(stages):
                unknown = sorted(set(stage.contacts) - set(self.contacts))
                if unknown:
                    raise FieldError(f"incidents.escalation.{severity}[{i}].contacts",
                                     f"names unknown contacts {', '.join(unknown)}")
        return self

    @property
    def defines_people(self) -> bool:
        return bool(self.contacts or self.escalation)
