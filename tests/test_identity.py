"""RegionalUserDirectory and `azora:identity`: 1-hour tokens, PKCE public clients, MFA on for admins, threat
protection enforced, Google sign-in with a secret client secret, auth events into the audit archive, the WAF
in front - in the jurisdiction's own region."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from azora_infra.config import ConfigError, parse_config
from azora_infra.plan.model import Plan
from azora_infra.plan.project import PulumiProject
from azora_infra.provider import region_provider
from components.identity import AppClient, RegionalUserDirectoryArgs, issuer_url
from tests.harness import ROOT, record
from tests.test_config import VALID

POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
ARCHIVE = "arn:aws:s3:::azora-europe-audit-123456789012"
ACL = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/azora-europe-edge/abc"
SECRET_MARK = "4dabf18193072939515e22adb298388d"

IDENTITY = {
    "mfa": "optional", "refreshTokenDays": 14, "adminGroups": ["platform-admins", "support"],
    "clients": {"web": {"callbackUrls": ["https://app.azora.example/auth/callback"],
                        "logoutUrls": ["https://app.azora.example/"]}},
    "adminClients": {"console": {"callbackUrls": ["https://admin.azora.example/auth/callback"]}},
    "google": {"clientId": "1234-abc.apps.googleusercontent.com"},
}


def _raw(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(VALID)
    raw.update({"aws:region": "eu-west-1", "azora:region": "eu-west-1", "azora:role": "secondary",
                "azora:identity": IDENTITY, "azora:googleClientSecret": "google-secret-value"})
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return raw


def _plan(raw: dict[str, Any] | None = None) -> Plan:
    from azora_infra.compose.identity import build_identity

    cfg = parse_config(raw or _raw(), "Pulumi.europe.yaml")

    class Edge:
        web_acl_arn = pulumi.Output.from_input(ACL)

    class Audit:
        archive_bucket_arn = pulumi.Output.from_input(ARCHIVE)
        ready: list[pulumi.Resource] = []

    def program() -> None:
        build_identity(cfg, "europe", region_provider(cfg), Edge(), Audit())  # type: ignore[arg-type]
    return record(program, stack="europe", region="eu-west-1")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _plan()


def test_users_pool_enforces_threat_protection_and_configured_mfa(plan: Plan) -> None:
    users = plan.named(POOL, "identity-users").inputs
    assert users["userPoolTier"] == "PLUS"
    assert users["userPoolAddOns"] == {"advancedSecurityMode": "ENFORCED"}
    assert users["mfaConfiguration"] == "OPTIONAL" and users["softwareTokenMfaConfiguration"] == {"enabled": True}
    assert users["deletionProtection"] == "ACTIVE" and users["tags"]["azora:data-class"] == "personal"
    assert users["adminCreateUserConfig"] == {"allowAdminCreateUserOnly": False}


def test_admin_groups_live_in_a_pool_where_mfa_is_always_on(plan: Plan) -> None:
    admins = plan.named(POOL, "identity-admins")
    assert admins.inputs["mfaConfiguration"] == "ON"
    assert admins.inputs["adminCreateUserConfig"] == {"allowAdminCreateUserOnly": True}
    groups = {g.inputs["name"]: g.inputs["userPoolId"] for g in plan.of_type("aws:cognito/userGroup:UserGroup")}
    assert groups == {"platform-admins": admins.outputs["id"], "support": admins.outputs["id"]}
    console = plan.named(CLIENT, "identity-admins-client-console").inputs
    assert console["supportedIdentityProviders"] == ["COGNITO"]  # a federated sign-in would skip Cognito's MFA


def test_app_clients_are_public_pkce_clients_with_one_hour_tokens(plan: Plan) -> None:
    for name in ("identity-users-client-web", "identity-admins-client-console"):
        c = plan.named(CLIENT, name).inputs
        assert c["generateSecret"] is False and c["allowedOauthFlows"] == ["code"]
        assert c["allowedOauthFlowsUserPoolClient"] is True
        assert (c["accessTokenValidity"], c["idTokenValidity"], c["refreshTokenValidity"]) == (60, 60, 14)
        assert c["tokenValidityUnits"] == {"accessToken": "minutes", "idToken": "minutes", "refreshToken": "days"}
        assert c["enableTokenRevocation"] is True and c["preventUserExistenceErrors"] == "ENABLED"
        assert "ALLOW_USER_PASSWORD_AUTH" not in c["explicitAuthFlows"]
    web = plan.named(CLIENT, "identity-users-client-web").inputs
    assert web["supportedIdentityProviders"] == ["COGNITO", "Google"]
    assert web["callbackUrls"] == ["https://app.azora.example/auth/callback"]


def test_google_client_secret_stays_a_secret(plan: Plan) -> None:
    idp = plan.named("aws:cognito/identityProvider:IdentityProvider", "identity-users-google")
    raw = idp.raw["inputs"]["providerDetails"]
    assert isinstance(raw, dict) and raw.get(SECRET_MARK) == "1b47061264138c4ac30d75fd1eb44270"
    assert idp.inputs["providerDetails"]["client_id"] == "1234-abc.apps.googleusercontent.com"
    assert idp.inputs["providerType"] == "Google"
    web = plan.named(CLIENT, "identity-users-client-web")
    assert idp.urn in web.raw["dependencies"]  # a client naming Google waits for the provider


def test_auth_events_go_to_the_audit_archive_and_the_waf_guards_both_pools(plan: Plan) -> None:
    pools = {p.outputs["id"] for p in plan.of_type(POOL)}
    deliveries = plan.of_type("aws:cognito/logDeliveryConfiguration:LogDeliveryConfiguration")
    assert {d.inputs["userPoolId"] for d in deliveries} == pools
    for d in deliveries:
        assert d.inputs["logConfigurations"] == [{"eventSource": "userAuthEvents", "logLevel": "INFO",
                                                  "s3Configuration": {"bucketArn": ARCHIVE}}]
    associations = plan.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert {(a.inputs["resourceArn"], a.inputs["webAclArn"]) for a in associations} == {
        (p.outputs["arn"], ACL) for p in plan.of_type(POOL)}


def test_pools_are_in_the_jurisdictions_region_with_hosted_domains(plan: Plan) -> None:
    assert {p.region for p in plan.of_type(POOL)} == {"eu-west-1"}
    domains = {d.inputs["domain"] for d in plan.of_type("aws:cognito/userPoolDomain:UserPoolDomain")}
    assert domains == {"azora-europe", "azora-europe-admin"}


def test_issuer_and_jwks_urls_are_exported_by_each_repo_stack(repo_plan: Callable[[str], dict[str, Any]]) -> None:
    for stack, region in (("africa", "af-south-1"), ("europe", "eu-west-1"), ("asia", "ap-southeast-1")):
        doc = repo_plan(stack)
        pool = Plan(doc).named(POOL, "identity-users")
        assert pool.region == region
        assert doc["outputs"]["issuerUrl"] == issuer_url(region, pool.outputs["id"])
        assert doc["outputs"]["jwksUrl"] == issuer_url(region, pool.outputs["id"]) + "/.well-known/jwks.json"
        assert pool.outputs["id"].startswith(f"{region}_")


@pytest.mark.parametrize(("changes", "message"), [
    ({"azora:googleClientSecret": None}, "azora:googleClientSecret: is required when azora:identity.google is set"),
    ({"azora:identity": {"mfa": "off"}}, "azora:googleClientSecret: is set but azora:identity.google is not"),
    ({"azora:identity": {**IDENTITY, "mfa": "sometimes"}}, "azora:identity.mfa"),
    ({"azora:identity": {**IDENTITY, "clients": {"web": {"callbackUrls": ["http://app.azora.example/cb"]}}}},
     "is not an https:// URL"),
    ({"azora:identity": {**IDENTITY, "clients": {"web": {"callbackUrls": ["https://a.example/cb"],
                                                         "scopes": ["email"]}}}}, "must include openid"),
    ({"azora:identity": {**IDENTITY, "google": {"clientId": "not-google"}}}, "is not a Google OAuth client id"),
    ({"azora:identity": {**IDENTITY, "domainPrefix": "my-aws-login"}}, "is not a Cognito domain prefix"),
    ({"azora:identity": {**IDENTITY, "refreshTokenDays": 0}}, "azora:identity.refreshTokenDays"),
])
def test_bad_identity_config_is_one_clear_line(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(_raw(**changes), "Pulumi.europe.yaml")
    text = str(info.value)
    assert message in text and text.startswith("Pulumi.europe.yaml")


def test_secure_client_secret_in_a_stack_file_plans_with_an_offline_placeholder(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text("")
    google = "    google: {clientId: 1234-abc.apps.googleusercontent.com}\n"
    stack = (ROOT / "Pulumi.europe.yaml").read_text().replace("  azora:identity:\n", "  azora:identity:\n" + google)
    stack += "  azora:googleClientSecret:\n    secure: AAABAJ5mE2nYciphertextOnlyTheCliCanDecrypt==\n"
    (tmp_path / "Pulumi.europe.yaml").write_text(stack)
    config, secret_keys = PulumiProject.load(tmp_path).stack_config("europe")
    assert secret_keys == ["azora:googleClientSecret"]
    assert config["azora:googleClientSecret"].startswith("offline-secret-")
    cfg = parse_config(config, "Pulumi.europe.yaml")
    assert cfg.identity.google is not None and cfg.google_client_secret
    assert "offline-secret" not in repr(cfg)  # the secret never shows in a repr or an error


def test_bad_component_arguments_are_refused() -> None:
    base: dict[str, Any] = {"region": "eu-west-1", "name_prefix": "t", "domain_prefix": "t"}
    for kw, message in (({"token_minutes": 2}, "token_minutes"), ({"mfa": "MAYBE"}, "mfa is OFF"),
                        ({"google_client_id": "x"}, "both a client id and a client secret"),
                        ({"refresh_token_days": 0}, "refresh_token_days"),
                        ({"clients": {"web": AppClient(callback_urls=())}}, "has no callback URL")):
        with pytest.raises(ValueError, match=message):
            RegionalUserDirectoryArgs(**{**base, **kw}).validate()  # type: ignore[arg-type]
