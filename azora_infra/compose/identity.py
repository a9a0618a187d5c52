"""Wiring of the jurisdiction's user pools (`RegionalUserDirectory`) from `azora:identity`.

Tokens live one hour (the seed's 1-hour JWT); the Google client secret comes from the secret
`azora:googleClientSecret`; auth events go to the in-region audit archive; the region's WAF web ACL
protects the pools.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.audit import AuditTrail
from components.edge import RegionalEdge
from components.identity import AppClient, RegionalUserDirectory, RegionalUserDirectoryArgs

from ..config import StackConfig
from ..config.identity import AppClientConfig

#: the seed: "a JWT token with 1-hour expiration"
TOKEN_MINUTES = 60


def _clients(clients: dict[str, AppClientConfig]) -> dict[str, AppClient]:
    return {n: AppClient(callback_urls=c.callback_urls, logout_urls=c.logout_urls, scopes=c.scopes)
            for n, c in clients.items()}


def build_identity(cfg: StackConfig, stack: str, provider: aws.Provider, edge: RegionalEdge | None,
                   audit: AuditTrail | None) -> RegionalUserDirectory | None:
    i = cfg.identity
    if not i.enabled:
        return None
    google = i.google
    secret = pulumi.Output.secret(cfg.google_client_secret) if cfg.google_client_secret else None
    return RegionalUserDirectory("identity", RegionalUserDirectoryArgs(
        region=cfg.region, name_prefix=f"azora-{stack}", domain_prefix=i.domain_prefix or f"azora-{stack}",
        mfa=i.mfa.upper(),  # type: ignore[arg-type]
        token_minutes=TOKEN_MINUTES, refresh_token_days=i.refresh_token_days, admin_groups=i.admin_groups,
        clients=_clients(i.clients), admin_clients=_clients(i.admin_clients),
        google_client_id=google.client_id if google else None, google_client_secret=secret,
        auth_log_bucket_arn=audit.archive_bucket_arn if audit else None,
        web_acl_arn=edge.web_acl_arn if edge else None,
        deletion_protection=cfg.preset.deletion_protection, protect=cfg.preset.protect,
        depends_on=audit.ready if audit else (),
    ), provider)


def identity_outputs(identity: RegionalUserDirectory | None) -> dict[str, Any]:
    """Stack exports the services consume to validate tokens."""
    if identity is None:
        return {}
    return {"userPoolId": identity.user_pool_id, "issuerUrl": identity.issuer_url, "jwksUrl": identity.jwks_url,
            "appClientIds": identity.client_ids, "adminIssuerUrl": identity.admin_issuer_url,
            "adminJwksUrl": identity.admin_jwks_url}
