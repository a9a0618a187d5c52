"""`RegionKeys`: the region's customer-managed KMS keys, one per purpose."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .base import AzoraComponent

#: purpose -> the AWS services (by kms:ViaService prefix) allowed to use the key on users' behalf
PURPOSES: dict[str, tuple[str, ...]] = {
    "data": ("rds", "elasticache", "s3", "ec2", "sqs", "sns", "ecr"),
    "logs": (),  # CloudWatch Logs uses the key directly (service principal statement below)
    "secrets": ("secretsmanager", "eks", "ssm"),
    "backup": ("backup", "rds"),
}

#: What key administrators may do: read the key, its policy, rotation state, tags and grants;
#: enable or disable it; rotate it on demand; schedule or cancel its deletion; change its
#: description; revoke grants. Listed explicitly: no ``kms:Create*``/``kms:Put*``/``kms:Update*``
#: wildcard, and nothing that uses the key or lets the holder give itself (or anyone) use of it:
#: no ``Encrypt``/``Decrypt``/``GenerateDataKey*``/``ReEncrypt*``, no ``CreateGrant``, no
#: ``PutKeyPolicy``, no ``ReplicateKey`` (a replica gets a new key policy), no
#: ``ImportKeyMaterial``, no alias changes (repointing an alias redirects whoever encrypts by
#: alias to another key) and no ``TagResource``/``UntagResource`` (tags can decide access under
#: ABAC). Rotation stays on: no ``DisableKeyRotation``.
ADMIN_ACTIONS = [
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListKeyPolicies",
    "kms:ListKeyRotations", "kms:ListResourceTags", "kms:ListGrants",
    "kms:EnableKey", "kms:DisableKey", "kms:EnableKeyRotation", "kms:RotateKeyOnDemand",
    "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RevokeGrant",
]
#: What the key-policy owners (the principal that deploys the stack) may do on top: change the key
#: policy, the tags and the aliases (Pulumi manages all three). Whoever may change a key policy
#: can give itself use of the key; that power is therefore kept apart from the administrators.
#: KMS refuses a key policy that would not let its creator call ``PutKeyPolicy`` again, so the
#: deploying principal must be one of the owners (the default, the account root, delegates the
#: question to IAM).
POLICY_OWNER_ACTIONS = [
    *ADMIN_ACTIONS, "kms:PutKeyPolicy", "kms:TagResource", "kms:UntagResource",
    "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias",
]


def account_administers(account_id: str) -> dict[str, object]:
    """The key-policy statement of a component's own key: the account root holds the key-policy
    owner's explicit actions (IAM decides who in the account), never ``kms:*``."""
    return {"Sid": "AccountAdministersThroughIam", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": POLICY_OWNER_ACTIONS,
            "Resource": "*"}


USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
GRANT_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]


@dataclass(frozen=True)
class RegionKeysArgs:
    region: str
    #: IAM principals that manage the keys (`ADMIN_ACTIONS`: never use them, never grant use);
    #: empty means the account root (IAM policies decide)
    administrators: Sequence[str] = ()
    #: IAM principals that may change the key policy, tags and aliases (`POLICY_OWNER_ACTIONS`):
    #: the deployment role. Empty means the account root (IAM policies decide). Must not overlap
    #: the administrators: a key-policy owner can always give itself use of the key.
    key_policy_owners: Sequence[str] = ()
    #: IAM principals that use the keys directly
    users: Sequence[str] = ()
    deletion_window_days: int = 30
    purposes: Sequence[str] = field(default_factory=lambda: tuple(PURPOSES))
    #: Pulumi `protect`: a key's loss makes everything encrypted with it unreadable
    protect: bool = True
    #: alias prefix: alias/<prefix>/<purpose>
    alias_prefix: str = "azora"


def separation_error(administrators: Sequence[str], key_policy_owners: Sequence[str]) -> str | None:
    """Why the administrators and the key-policy owners are not kept apart (None when they are)."""
    both = sorted(set(administrators) & set(key_policy_owners))
    if both:
        return (f"{', '.join(both)} cannot be both a key administrator and a key-policy owner: a "
                "key-policy owner can give itself use of the key, which administrators must not")
    return None


def key_policy(account_id: str, region: str, purpose: str, administrators: Sequence[str],
               users: Sequence[str], key_policy_owners: Sequence[str] = ()) -> str:
    """The key policy document: explicit administrators, key-policy owners and users, and the AWS
    services that may use the key for this purpose (scoped to this account and region)."""
    error = separation_error(administrators, key_policy_owners)
    if error:
        raise ValueError(f"RegionKeys: {error}")
    root = f"arn:aws:iam::{account_id}:root"
    statements: list[dict[str, object]] = [
        {"Sid": "KeyAdministration", "Effect": "Allow", "Principal": {"AWS": list(administrators) or [root]},
         "Action": ADMIN_ACTIONS, "Resource": "*"},
        {"Sid": "KeyPolicyOwners", "Effect": "Allow", "Principal": {"AWS": list(key_policy_owners) or [root]},
         "Action": POLICY_OWNER_ACTIONS, "Resource": "*"},
    ]
    if users:
        statements += [
            {"Sid": "KeyUsage", "Effect": "Allow", "Principal": {"AWS": list(users)},
             "Action": USE_ACTIONS, "Resource": "*"},
            {"Sid": "GrantsForAwsResources", "Effect": "Allow", "Principal": {"AWS": list(users)},
             "Action": GRANT_ACTIONS, "Resource": "*",
             "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
        ]
    services = PURPOSES.get(purpose, ())
    if services:
        statements.append({
            "Sid": "UseThroughAwsServices", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": [*USE_ACTIONS, *GRANT_ACTIONS], "Resource": "*",
            "Condition": {
                "StringEquals": {"kms:CallerAccount": account_id,
                                 "kms:ViaService": [f"{s}.{region}.amazonaws.com" for s in services]},
            },
        })
    if purpose == "logs":
        statements.append({
            "Sid": "CloudWatchLogs", "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": USE_ACTIONS, "Resource": "*",
            "Condition": {"ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account_id}:log-group:*"}},
        })
    if purpose == "backup":
        statements.append({
            "Sid": "AwsBackupService", "Effect": "Allow",
            "Principal": {"Service": "backup.amazonaws.com"},
            "Action": [*USE_ACTIONS, "kms:CreateGrant"], "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        })
    return json.dumps({"Version": "2012-10-17", "Id": f"azora-{purpose}", "Statement": statements})


class RegionKeys(AzoraComponent):
    """Customer-managed, rotating KMS keys per purpose (data, logs, secrets, backup).

    Outputs: ``key_arns`` / ``key_ids`` / ``alias_names`` keyed by purpose, and one property per
    standard purpose (``data_key_arn``, ``logs_key_arn``, ``secrets_key_arn``, ``backup_key_arn``).
    """

    def __init__(self, name: str, args: RegionKeysArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azora:kms:RegionKeys", name, provider, opts)
        unknown = [p for p in args.purposes if p not in PURPOSES]
        if unknown:
            raise ValueError(f"RegionKeys: unknown purpose(s) {unknown}; known: {sorted(PURPOSES)}")
        if not 7 <= args.deletion_window_days <= 30:
            raise ValueError("RegionKeys: deletion_window_days must be 7-30")
        error = separation_error(args.administrators, args.key_policy_owners)
        if error:
            raise ValueError(f"RegionKeys: {error}")
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider))
        self.keys: dict[str, aws.kms.Key] = {}
        self.aliases: dict[str, aws.kms.Alias] = {}
        for purpose in args.purposes:
            policy = identity.account_id.apply(self._policy_for(args, purpose))
            key = aws.kms.Key(
                self.child_name(purpose),
                description=f"Azora {purpose} key ({args.region})",
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                enable_key_rotation=True,
                rotation_period_in_days=365,
                deletion_window_in_days=args.deletion_window_days,
                multi_region=False,
                policy=policy,
                tags={"azora:key-purpose": purpose},
                opts=self.child_opts(protect=args.protect),
            )
            self.keys[purpose] = key
            self.aliases[purpose] = aws.kms.Alias(
                self.child_name(purpose, "alias"),
                name=f"alias/{args.alias_prefix}/{purpose}",
                target_key_id=key.key_id,
                opts=self.child_opts(),
            )
        self.key_arns: dict[str, pulumi.Output[str]] = {p: k.arn for p, k in self.keys.items()}
        self.key_ids: dict[str, pulumi.Output[str]] = {p: k.key_id for p, k in self.keys.items()}
        self.alias_names: dict[str, pulumi.Output[str]] = {p: a.name for p, a in self.aliases.items()}
        self.register_outputs({"keyArns": self.key_arns, "keyIds": self.key_ids, "aliasNames": self.alias_names})

    @staticmethod
    def _policy_for(args: RegionKeysArgs, purpose: str) -> Callable[[str], str]:
        def render(account_id: str) -> str:
            return key_policy(account_id, args.region, purpose, args.administrators, args.users,
                              args.key_policy_owners)
        return render

    def arn(self, purpose: str) -> pulumi.Output[str]:
        try:
            return self.key_arns[purpose]
        except KeyError:
            raise KeyError(f"RegionKeys has no {purpose!r} key (has: {sorted(self.key_arns)})") from None

    @property
    def data_key_arn(self) -> pulumi.Output[str]:
        return self.arn("data")

    @property
    def logs_key_arn(self) -> pulumi.Output[str]:
        return self.arn("logs")

    @property
    def secrets_key_arn(self) -> pulumi.Output[str]:
        return self.arn("secrets")

    @property
    def backup_key_arn(self) -> pulumi.Output[str]:
        return self.arn("backup")
