"""`RegionalUserDirectory`: the jurisdiction's Cognito user pools, in its own region.

Personal data (names, e-mail addresses, sign-in history) stays home, so each region stack owns the
pools of its jurisdiction; nothing replicates them elsewhere.

- **users** pool: MFA as configured (``off``/``optional``/``on``), threat protection ENFORCED (the
  Plus feature plan: compromised-credential and adaptive-authentication checks block risky sign-ins),
  sign-in with e-mail or with Google (client secret passed as a Pulumi secret), app clients that are
  public (no secret) and use the authorization code grant, for which Cognito accepts PKCE.
- **admins** pool: MFA is a *pool* setting in Cognito, not a group setting, so admin groups live in a
  pool of their own whose MFA is always ON (TOTP) and where only administrators create users. No
  federated sign-in there: a federated sign-in would skip Cognito's MFA.
- Access and id tokens live ``token_minutes`` (the seed's 1-hour JWT), refresh tokens
  ``refresh_token_days``; tokens can be revoked, and user-existence errors are hidden.
- Auth events (threat-protection user activity, ``userAuthEvents``) are delivered to the audit
  archive bucket (``auth_log_bucket_arn``): an in-region, object-locked store. CloudWatch Logs is not
  used: Cognito cannot deliver to a log group encrypted with KMS.
- The region's WAF web ACL (``web_acl_arn``) protects both pools' endpoints.

Outputs the services consume: ``issuer_url`` and ``jwks_url`` of the users pool (and the admins'),
the app client ids and the hosted sign-in domains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from azora_infra.regions import DataClass
from azora_infra.tags import data_tags

from .base import AzoraComponent

MFA = Literal["OFF", "OPTIONAL", "ON"]
GOOGLE_SCOPES = "openid email profile"


@dataclass(frozen=True)
class AppClient:
    """A public app client: authorization code grant (PKCE), no client secret."""

    callback_urls: Sequence[str]
    logout_urls: Sequence[str] = ()
    scopes: Sequence[str] = ("openid", "email", "profile")


@dataclass(frozen=True)
class RegionalUserDirectoryArgs:
    region: str
    #: prefix of the pool names, e.g. ``azora-africa``
    name_prefix: str
    #: hosted sign-in domain prefix (``<prefix>`` and ``<prefix>-admin``), unique in the region
    domain_prefix: str
    mfa: MFA = "OPTIONAL"
    token_minutes: int = 60
    refresh_token_days: int = 30
    admin_groups: Sequence[str] = ("platform-admins",)
    clients: Mapping[str, AppClient] = field(default_factory=dict)
    admin_clients: Mapping[str, AppClient] = field(default_factory=dict)
    google_client_id: str | None = None
    #: a Pulumi secret (``pulumi.Output.secret``); required with ``google_client_id``
    google_client_secret: pulumi.Input[str] | None = None
    #: where auth events go (the audit archive bucket)
    auth_log_bucket_arn: pulumi.Input[str] | None = None
    web_acl_arn: pulumi.Input[str] | None = None
    deletion_protection: bool = True
    protect: bool = True
    #: resources the log delivery waits for (the archive's bucket policy)
    depends_on: Sequence[pulumi.Resource] = ()

    def validate(self) -> None:
        if self.mfa not in ("OFF", "OPTIONAL", "ON"):
            raise ValueError("RegionalUserDirectory: mfa is OFF, OPTIONAL or ON")
        if not 5 <= self.token_minutes <= 1440:
            raise ValueError("RegionalUserDirectory: token_minutes must be 5-1440 (Cognito's range)")
        if not 1 <= self.refresh_token_days <= 3650:
            raise ValueError("RegionalUserDirectory: refresh_token_days must be 1-3650")
        if (self.google_client_id is None) != (self.google_client_secret is None):
            raise ValueError("RegionalUserDirectory: Google sign-in needs both a client id and a client secret")
        for name, client in {**self.clients, **self.admin_clients}.items():
            if not client.callback_urls:
                raise ValueError(f"RegionalUserDirectory: client {name} has no callback URL")


def issuer_url(region: str, pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


class RegionalUserDirectory(AzoraComponent):
    """The users' and the admins' user pools of one jurisdiction.

    Outputs: ``user_pool_id``, ``user_pool_arn``, ``issuer_url``, ``jwks_url``, ``client_ids``,
    ``admin_pool_id``, ``admin_issuer_url``, ``admin_jwks_url``, ``admin_client_ids``, ``domains``.
    """

    def __init__(self, name: str, args: RegionalUserDirectoryArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:identity:RegionalUserDirectory", name, provider, opts)
        self._args = args
        self.users = self._pool("users", args.mfa, admins_only=False)
        self.admins = self._pool("admins", "ON", admins_only=True)
        self.groups = {g: aws.cognito.UserGroup(
            self.child_name("admins", g), name=g, user_pool_id=self.admins.id,
            description=f"Azora {g} (MFA required)", opts=self.child_opts()) for g in args.admin_groups}
        providers = ["COGNITO"]
        idp_deps: list[pulumi.Resource] = []
        if args.google_client_id is not None:
            idp_deps.append(self._google())
            providers.append("Google")
        self.domains = {role: self._domain(role, pool)
                        for role, pool in (("users", self.users), ("admins", self.admins))}
        self.clients = {n: self._client("users", n, c, self.users, providers, idp_deps)
                        for n, c in args.clients.items()}
        self.admin_clients = {n: self._client("admins", n, c, self.admins, ["COGNITO"], [])
                              for n, c in args.admin_clients.items()}
        for role, pool in (("users", self.users), ("admins", self.admins)):
            self._auth_logs(role, pool)
            if args.web_acl_arn is not None:
                aws.wafv2.WebAclAssociation(self.child_name(role, "waf"), resource_arn=pool.arn,
                                            web_acl_arn=args.web_acl_arn, opts=self.child_opts())
        self.user_pool_id: pulumi.Output[str] = self.users.id
        self.user_pool_arn: pulumi.Output[str] = self.users.arn
        self.issuer_url = self.users.id.apply(lambda i: issuer_url(args.region, i))
        self.jwks_url = self.issuer_url.apply(lambda u: f"{u}/.well-known/jwks.json")
        self.admin_pool_id: pulumi.Output[str] = self.admins.id
        self.admin_issuer_url = self.admins.id.apply(lambda i: issuer_url(args.region, i))
        self.admin_jwks_url = self.admin_issuer_url.apply(lambda u: f"{u}/.well-known/jwks.json")
        self.client_ids: dict[str, pulumi.Output[str]] = {n: c.id for n, c in self.clients.items()}
        self.admin_client_ids: dict[str, pulumi.Output[str]] = {n: c.id for n, c in self.admin_clients.items()}
        self.domain_names: dict[str, pulumi.Output[str]] = {r: d.domain for r, d in self.domains.items()}
        self.register_outputs({
            "userPoolId": self.user_pool_id, "issuerUrl": self.issuer_url, "jwksUrl": self.jwks_url,
            "clientIds": self.client_ids, "adminPoolId": self.admin_pool_id, "adminIssuerUrl": self.admin_issuer_url,
            "adminJwksUrl": self.admin_jwks_url, "adminClientIds": self.admin_client_ids, "domains": self.domain_names,
        })

    def _pool(self, role: str, mfa: MFA, *, admins_only: bool) -> aws.cognito.UserPool:
        args = self._args
        return aws.cognito.UserPool(
            self.child_name(role), name=f"{args.name_prefix}-{role}", user_pool_tier="PLUS",
            deletion_protection="ACTIVE" if args.deletion_protection else "INACTIVE",
            username_attributes=["email"], auto_verified_attributes=["email"],
            mfa_configuration=mfa,
            software_token_mfa_configuration=aws.cognito.UserPoolSoftwareTokenMfaConfigurationArgs(enabled=True)
            if mfa != "OFF" else None,
            user_pool_add_ons=aws.cognito.UserPoolUserPoolAddOnsArgs(advanced_security_mode="ENFORCED"),
            password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
                minimum_length=14 if admins_only else 12, require_lowercase=True, require_uppercase=True,
                require_numbers=True, require_symbols=admins_only, temporary_password_validity_days=3,
                password_history_size=5),
            admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs(
                allow_admin_create_user_only=admins_only),
            account_recovery_setting=aws.cognito.UserPoolAccountRecoverySettingArgs(recovery_mechanisms=[
                aws.cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(name="verified_email", priority=1)]),
            tags={"Name": f"{args.name_prefix}-{role}", **data_tags(DataClass.PERSONAL.value)},
            opts=self.child_opts(protect=args.protect))

    def _google(self) -> aws.cognito.IdentityProvider:
        args = self._args
        details: pulumi.Output[dict[str, str]] = pulumi.Output.all(args.google_client_secret).apply(
            lambda v: {"client_id": str(args.google_client_id), "client_secret": str(v[0]),
                       "authorize_scopes": GOOGLE_SCOPES})
        return aws.cognito.IdentityProvider(
            self.child_name("users", "google"), user_pool_id=self.users.id, provider_name="Google",
            provider_type="Google", provider_details=pulumi.Output.secret(details),  # type: ignore[arg-type]
            attribute_mapping={"email": "email", "email_verified": "email_verified", "username": "sub",
                               "name": "name"},
            opts=self.child_opts())

    def _domain(self, role: str, pool: aws.cognito.UserPool) -> aws.cognito.UserPoolDomain:
        prefix = self._args.domain_prefix + ("-admin" if role == "admins" else "")
        return aws.cognito.UserPoolDomain(self.child_name(role), domain=prefix, user_pool_id=pool.id,
                                          managed_login_version=2, opts=self.child_opts())

    def _client(self, role: str, name: str, client: AppClient, pool: aws.cognito.UserPool,
                providers: Sequence[str], deps: Sequence[pulumi.Resource]) -> aws.cognito.UserPoolClient:
        args = self._args
        return aws.cognito.UserPoolClient(
            self.child_name(role, "client", name), name=name, user_pool_id=pool.id,
            generate_secret=False, allowed_oauth_flows=["code"], allowed_oauth_flows_user_pool_client=True,
            allowed_oauth_scopes=list(client.scopes), callback_urls=list(client.callback_urls),
            logout_urls=list(client.logout_urls) or None, supported_identity_providers=list(providers),
            explicit_auth_flows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            access_token_validity=args.token_minutes, id_token_validity=args.token_minutes,
            refresh_token_validity=args.refresh_token_days,
            token_validity_units=aws.cognito.UserPoolClientTokenValidityUnitsArgs(
                access_token="minutes", id_token="minutes", refresh_token="days"),
            auth_session_validity=3, enable_token_revocation=True, prevent_user_existence_errors="ENABLED",
            opts=self.child_opts(depends_on=list(deps)))

    def _auth_logs(self, role: str, pool: aws.cognito.UserPool) -> None:
        args = self._args
        if args.auth_log_bucket_arn is None:
            return
        aws.cognito.LogDeliveryConfiguration(
            self.child_name(role, "auth-logs"), user_pool_id=pool.id,
            log_configurations=[aws.cognito.LogDeliveryConfigurationLogConfigurationArgs(
                event_source="userAuthEvents", log_level="INFO",
                s3_configuration=aws.cognito.LogDeliveryConfigurationLogConfigurationS3ConfigurationArgs(
                    bucket_arn=args.auth_log_bucket_arn))],
            opts=self.child_opts(depends_on=list(args.depends_on)))
