"""`azora:alerting`: who a region's alarms reach, per severity.

```yaml
azora:alerting:
  page:                      # wake someone now (SLO fast burn, region down, security events)
    emails: [oncall@azora.example]
    pager: pagerduty         # the events URL is the secret `azora:pagerUrl`
  ticket:                    # look at it in working hours (slow burn, capacity, cost)
    emails: [platform@azora.example]
  slack:                     # optional: Amazon Q Developer in chat applications (AWS Chatbot)
    teamId: T0123ABCD        # the workspace, authorised once in the console
    channelId: C0123ABCD
```

A prod stack must have a ``page`` subscriber (an e-mail or the pager): an alarm whose topic has
no subscriber reaches nobody. The pager's events URL carries its integration key, so it is never
written in a stack file in clear: set it with `pulumi config set --secret azora:pagerUrl <url>`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .base import ConfigModel
from .validators import email_addresses


class SeverityConfig(ConfigModel):
    #: e-mail addresses (each must confirm the subscription once)
    emails: tuple[str, ...] = ()
    #: an HTTPS pager integration; its events URL is the secret `azora:pagerUrl`
    pager: Literal["pagerduty", "opsgenie"] | None = None

    @field_validator("emails")
    @classmethod
    def _emails(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError("lists an address twice")
        return email_addresses(v)

    @property
    def subscribed(self) -> bool:
        return bool(self.emails) or self.pager is not None


class SlackConfig(ConfigModel):
    """A Slack channel the severity topics post to (the workspace is authorised once in the console)."""

    team_id: str = Field(pattern=r"^T[A-Z0-9]{4,}$")
    channel_id: str = Field(pattern=r"^[CG][A-Z0-9]{4,}$")
    severities: tuple[Literal["page", "ticket"], ...] = Field(default=("page", "ticket"), min_length=1)


class AlertingConfig(ConfigModel):
    page: SeverityConfig = Field(default_factory=SeverityConfig)
    ticket: SeverityConfig = Field(default_factory=SeverityConfig)
    slack: SlackConfig | None = None

    @property
    def uses_pager(self) -> bool:
        return self.page.pager is not None or self.ticket.pager is not None


#: pager events URLs: PagerDuty's and Opsgenie's SNS integration endpoints are HTTPS
def check_pager_url(url: str) -> str:
    if not url.startswith("https://") or any(c.isspace() for c in url) or len(url) > 2048:
        raise ValueError("must be an https:// events URL of the pager integration")
    return url
