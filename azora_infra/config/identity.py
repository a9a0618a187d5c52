"""`azora:identity`: the jurisdiction's Cognito user pools (personal data stays in its region).

```yaml
azora:identity:
  domainPrefix: azora-africa            # hosted sign-in at https://<prefix>.auth.<region>.amazoncognito.com
  mfa: optional                         # off | optional | on, for the users' pool
  refreshTokenDays: 30
  adminGroups: [platform-admins, support]   # in the admins' pool, where MFA is always on
  clients:
    web: {callbackUrls: [https://app.azora.example/auth/callback], logoutUrls: [https://app.azora.example/]}
  adminClients:
    console: {callbackUrls: [https://admin.azora.example/auth/callback]}
  google: {clientId: 1234.apps.googleusercontent.com}   # secret: azora:googleClientSecret
```

Access and id tokens live 1 hour (the seed's 1-hour JWT); only the refresh token is configurable.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from .base import ConfigModel

_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_GROUP = re.compile(r"^[\w+=,.@-]{1,128}$")
_CLIENT = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_URL = re.compile(r"^https://[^\s#]+$")
_LOCAL = re.compile(r"^http://localhost(:\d+)?(/[^\s#]*)?$")
_GOOGLE_CLIENT_ID = re.compile(r"^[\w.-]+\.apps\.googleusercontent\.com$")
SCOPES = ("openid", "email", "profile", "phone", "aws.cognito.signin.user.admin")


def check_urls(values: tuple[str, ...]) -> tuple[str, ...]:
    for url in values:
        if not (_URL.match(url) or _LOCAL.match(url)):
            raise ValueError(f"{url!r} is not an https:// URL (http only for localhost)")
    return values


class AppClientConfig(ConfigModel):
    """A public app client (no secret): authorization code grant with PKCE."""

    callback_urls: tuple[str, ...] = Field(min_length=1, max_length=100)
    logout_urls: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ("openid", "email", "profile")

    @field_validator("callback_urls", "logout_urls")
    @classmethod
    def _urls(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return check_urls(v)

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [s for s in v if s not in SCOPES]
        if unknown:
            raise ValueError(f"unknown scopes {unknown} (known: {', '.join(SCOPES)})")
        if "openid" not in v:
            raise ValueError("must include openid (the id token and the issuer's user info)")
        return v


class GoogleConfig(ConfigModel):
    client_id: str

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, v: str) -> str:
        if not _GOOGLE_CLIENT_ID.match(v):
            raise ValueError(f"{v!r} is not a Google OAuth client id (<id>.apps.googleusercontent.com)")
        return v


class IdentityConfig(ConfigModel):
    #: build the user pools (a prod stack without them has no sign-in in this jurisdiction)
    enabled: bool = True
    #: hosted sign-in domain prefix (unique per region); unset: azora-<stack>
    domain_prefix: str | None = None
    mfa: Literal["off", "optional", "on"] = "optional"
    refresh_token_days: int = Field(default=30, ge=1, le=3650)
    admin_groups: tuple[str, ...] = ("platform-admins",)
    clients: dict[str, AppClientConfig] = Field(default_factory=dict)
    admin_clients: dict[str, AppClientConfig] = Field(default_factory=dict)
    google: GoogleConfig | None = None

    @field_validator("domain_prefix")
    @classmethod
    def _prefix(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not _PREFIX.match(v) or "aws" in v or "amazon" in v or "cognito" in v:
            raise ValueError(f"{v!r} is not a Cognito domain prefix (lower-case letters, digits, dashes; "
                             "no aws, amazon or cognito)")
        return v

    @field_validator("admin_groups")
    @classmethod
    def _groups(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError("lists a group twice")
        for g in v:
            if not _GROUP.match(g):
                raise ValueError(f"{g!r} is not a Cognito group name")
        return v

    @field_validator("clients", "admin_clients")
    @classmethod
    def _client_names(cls, v: dict[str, AppClientConfig]) -> dict[str, AppClientConfig]:
        for name in v:
            if not _CLIENT.match(name):
                raise ValueError(f"client name {name!r}: lower-case letters, digits and dashes, at most 32")
        return v
