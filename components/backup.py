"""`RegionalBackup`: the region's locked AWS Backup vault, one backup plan per data class with
cross-region copies only where the residency map allows, and a monthly restore test.

What it builds (type token ``azora:backup:RegionalBackup``):

- a vault ``azora-<region>`` encrypted with the region's backup KMS key, locked (compliance mode
  by default: once ``changeable_for_days`` pass, nobody can shorten retention or unlock it), with
  an access policy denying recovery-point deletion and lifecycle changes to everyone;
- failure notifications to an SNS topic encrypted with the same key, when ``notification_emails``
  are given (a topic without subscribers is not created); failed jobs also reach the region's
  ticket topic through EventBridge (`components.event_alerts`);
- an IAM role AWS Backup assumes (the AWS managed backup and restore policies, plus permission
  to delete the temporary snapshots a continuous-backup copy leaves behind);
- per data class (``public``, ``internal``, ``confidential``, ``personal``) a plan with a
  continuous rule (point-in-time restore to the second, 35 days) and an hourly snapshot rule,
  selecting resources BY TAG ``azora:data-class = <class>``: every database tagged with a class
  is backed up without being listed. The snapshot rule copies each snapshot to the vaults of the
  other regions the class may be stored in (`azora_infra.regions.allowed_regions`): global
  classes to every other region, personal data only within its jurisdiction. With Azora's three
  regions in three jurisdictions, personal data gets no copy at all; ``copy_destinations`` and
  ``residency_notes`` say so instead of copying out;
- a restore-testing plan that restores, every month, the latest recovery point of each Aurora
  cluster named in ``restore_tests`` (per data class, by ARN: never "every cluster") from this
  region's vault, into the given DB subnet group, with the given security groups and KMS key
  (never AWS's default VPC, default security group or default key), and keeps it
  ``restore_validation_window_hours`` for checks. The plan is regional: a restore test never
  leaves the region, so personal data is restored in its own jurisdiction.

Other stacks create the destination vaults; their ARNs follow the naming convention
(`vault_arn`). ElastiCache is not supported by AWS Backup (the cache component keeps its own
snapshots).

Outputs: ``vault_name``, ``vault_arn``, ``plan_ids`` (data class -> plan id),
``copy_destinations`` (data class -> regions), ``residency_notes`` (data class -> why),
``notification_topic_arn``, ``role_arn``, ``restore_testing_plan_name``,
``restore_testing_selections`` (data class -> selection).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from azora_infra import regions
from azora_infra.regions import DataClass
from azora_infra.tags import DATA_CLASS

from .alerting import deny_insecure_publish
from .base import AzoraComponent

#: AWS Backup vault events that still notify (BACKUP_JOB_FAILED / RESTORE_JOB_FAILED are
#: deprecated and never fire: failures arrive as *_COMPLETED with State=FAILED/ABORTED/EXPIRED).
NOTIFICATION_EVENTS = (
    "BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED", "RESTORE_JOB_COMPLETED",
    "S3_BACKUP_OBJECT_FAILED", "S3_RESTORE_OBJECT_FAILED",
)
#: e-mail subscribers only hear about jobs that did not complete
FAILURE_FILTER = {"State": [{"anything-but": "COMPLETED"}]}
#: denied to every principal by the vault access policy (AWS Config rule
#: backup-recovery-point-manual-deletion-disabled needs the first three)
DENIED_ACTIONS = (
    "backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle",
    "backup:PutBackupVaultAccessPolicy", "backup:DeleteBackupVaultAccessPolicy",
    "backup:DeleteBackupVault", "backup:DeleteBackupVaultLockConfiguration",
)
POLICY_ACTIONS = ("backup:PutBackupVaultAccessPolicy", "backup:DeleteBackupVaultAccessPolicy")
MANAGED_POLICIES = {
    "backup": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "restores": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
}
CONTINUOUS_MAX_DAYS = 35
#: restore metadata the component always sets for an Aurora restore test (AWS Backup,
#: "Restore testing inferred metadata": overridable keys of RDS/Aurora clusters; keys are case
#: insensitive); ``restore_metadata_overrides`` may add others but never replace these
PINNED_RESTORE_KEYS = ("dbSubnetGroupName", "vpcSecurityGroupIds", "kmsKeyId")
#: AWS Backup accepts at most 30 ARNs in a restore testing selection
MAX_RESTORE_ARNS = 30
_CRON = re.compile(r"^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$")


def vault_name(region: str, prefix: str = "azora") -> str:
    """The vault naming convention every stack follows: ``<prefix>-<region>``."""
    return f"{prefix}-{region}"


def vault_arn(region: str, account_id: str, prefix: str = "azora") -> str:
    """The ARN of another region's vault, built from the convention (that stack creates it)."""
    return f"arn:aws:backup:{region}:{account_id}:backup-vault:{vault_name(region, prefix)}"


def copy_plan(home_region: str, candidates: Sequence[str],
              data_classes: Sequence[DataClass | str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Per data class: the regions its backups are copied to, and a note on why (residency)."""
    dests: dict[str, list[str]] = {}
    notes: dict[str, str] = {}
    home = regions.jurisdiction_of(home_region)
    others = [r for r in candidates if r != home_region]
    for dc in data_classes:
        cls = DataClass(dc)
        allowed = regions.allowed_regions(cls, home_region, others)
        dests[cls.value] = allowed
        scope = regions.RESIDENCY[cls]
        if scope is regions.Scope.GLOBAL:
            notes[cls.value] = (f"global class: copied to {', '.join(allowed)}" if allowed
                                else "global class, but no other region to copy to")
        else:
            refused = [r for r in others if r not in allowed]
            where = f"copied within {home.code} to {', '.join(allowed)}" if allowed else "not copied"
            why = (f"; {', '.join(refused)} are outside {home.code} ({home.law}), so no copy goes there"
                   if refused else "")
            notes[cls.value] = f"residency-limited: personal data stays in {home.code} ({home.law}): {where}{why}"
    return dests, notes


@dataclass(frozen=True)
class AuroraRestoreTest:
    """The Aurora clusters of one data class the monthly restore test restores, and the security
    groups the restored copy gets (pass the source clusters' own: the copy is then reachable from
    exactly where its source is, never more)."""

    cluster_arns: Sequence[pulumi.Input[str]]
    security_group_ids: Sequence[pulumi.Input[str]]


@dataclass(frozen=True)
class RegionalBackupArgs:
    region: str
    #: the region's backup KMS key (RegionKeys "backup": its policy lets AWS Backup use it)
    kms_key_arn: pulumi.Input[str]
    #: candidate regions for copies (the other stacks' regions); the residency map filters them
    peer_regions: Sequence[str] = ()
    data_classes: Sequence[DataClass] = tuple(DataClass)
    lock_mode: str = "compliance"
    min_retention_days: int = 7
    max_retention_days: int = 365
    changeable_for_days: int = 3
    continuous_backup: bool = True
    continuous_retention_days: int = CONTINUOUS_MAX_DAYS
    #: frequency of the continuous rule's maintenance run (not a snapshot): daily
    continuous_schedule: str = "cron(0 3 ? * * *)"
    snapshot_schedule: str = "cron(0 * ? * * *)"
    snapshot_retention_days: int = 14
    copy_retention_days: int = 35
    restore_test_schedule: str = "cron(0 5 1 * ? *)"
    restore_validation_window_hours: int = 4
    restore_start_window_hours: int = 24
    #: how far back the restore test may pick its "latest" recovery point
    restore_selection_window_days: int = 7
    #: data class -> the clusters the monthly restore test restores (none: nothing is restored)
    restore_tests: Mapping[str, AuroraRestoreTest] = field(default_factory=dict)
    #: DB subnet group of the restored copies (the databases' own, in this region)
    restore_subnet_group_name: pulumi.Input[str] | None = None
    #: KMS key the restored copies are encrypted with (the region's data key)
    restore_kms_key_arn: pulumi.Input[str] | None = None
    #: further restore metadata (e.g. ``dbClusterParameterGroupName``); not the pinned keys
    restore_metadata_overrides: Mapping[str, str] = field(default_factory=dict)
    notification_emails: Sequence[str] = ()
    #: principals exempt from the deny on changing the vault access policy (break-glass)
    policy_admins: Sequence[str] = ()
    #: Pulumi `protect` on the vault and its lock
    protect: bool = True
    name_prefix: str = "azora"
    #: the account (default: the caller's); used for the other regions' vault ARNs
    account_id: pulumi.Input[str] | None = None

    def validate(self) -> None:
        if self.lock_mode not in ("compliance", "governance"):
            raise ValueError(f"RegionalBackup: lock_mode must be compliance or governance, got {self.lock_mode!r}")
        if self.min_retention_days < 1 or self.max_retention_days < self.min_retention_days:
            raise ValueError("RegionalBackup: need 1 <= min_retention_days <= max_retention_days")
        if self.lock_mode == "compliance" and self.changeable_for_days < 3:
            raise ValueError("RegionalBackup: changeable_for_days must be at least 3 (AWS minimum)")
        if not 1 <= self.continuous_retention_days <= CONTINUOUS_MAX_DAYS:
            raise ValueError("RegionalBackup: continuous_retention_days must be 1-35")
        kept = [self.snapshot_retention_days, self.copy_retention_days]
        if self.continuous_backup:
            kept.append(self.continuous_retention_days)
        if any(not self.min_retention_days <= d <= self.max_retention_days for d in kept):
            raise ValueError("RegionalBackup: every retention must lie within the vault lock's "
                             f"{self.min_retention_days}-{self.max_retention_days} days")
        for expr in (self.snapshot_schedule, self.continuous_schedule, self.restore_test_schedule):
            if not _CRON.match(expr):
                raise ValueError(f"RegionalBackup: {expr!r} is not a six-field cron() expression")
        if not 0 <= self.restore_validation_window_hours <= 168:
            raise ValueError("RegionalBackup: restore_validation_window_hours must be 0-168")
        self._validate_restore_tests()

    def _validate_restore_tests(self) -> None:
        pinned = {k.lower() for k in PINNED_RESTORE_KEYS}
        overridden = sorted(k for k in self.restore_metadata_overrides if k.lower() in pinned)
        if overridden:
            raise ValueError(f"RegionalBackup: restore_metadata_overrides may not set {overridden}: the subnet "
                             "group, security groups and KMS key of a restore test come from restore_tests, "
                             "restore_subnet_group_name and restore_kms_key_arn")
        if not self.restore_tests:
            return
        if self.restore_subnet_group_name is None or self.restore_kms_key_arn is None:
            raise ValueError("RegionalBackup: restore tests need restore_subnet_group_name and restore_kms_key_arn "
                             "(AWS's default placement is the default VPC with the default key)")
        classes = {DataClass(dc).value for dc in self.data_classes}
        for cls, test in self.restore_tests.items():
            if cls not in classes:
                raise ValueError(f"RegionalBackup: restore test for {cls!r}, which is not one of the backed-up "
                                 f"data classes {sorted(classes)}")
            if not 1 <= len(test.cluster_arns) <= MAX_RESTORE_ARNS:
                raise ValueError(f"RegionalBackup: the {cls} restore test needs 1-{MAX_RESTORE_ARNS} cluster ARNs")
            if not test.security_group_ids:
                raise ValueError(f"RegionalBackup: the {cls} restore test needs the restored copy's security groups")
            for arn in test.cluster_arns:
                if isinstance(arn, str) and not arn.startswith(f"arn:aws:rds:{self.region}:"):
                    raise ValueError(f"RegionalBackup: the {cls} restore test names {arn}, which is not an Aurora "
                                     f"cluster in {self.region}: a restore test restores only in its own region")


def vault_policy(vault_arn_: str, policy_admins: Sequence[str]) -> str:
    """Deny deleting or shortening recovery points, and deleting the vault or its lock, to every
    principal; deny changing this policy to everyone but the break-glass ``policy_admins``."""
    policy_change: dict[str, object] = {
        "Sid": "DenyAccessPolicyChanges", "Effect": "Deny", "Principal": {"AWS": "*"},
        "Action": list(POLICY_ACTIONS), "Resource": vault_arn_,
    }
    if policy_admins:
        policy_change["Condition"] = {"ArnNotLike": {"aws:PrincipalArn": list(policy_admins)}}
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyRecoveryPointDeletion", "Effect": "Deny", "Principal": {"AWS": "*"},
         "Action": [a for a in DENIED_ACTIONS if a not in POLICY_ACTIONS or not policy_admins],
         "Resource": "*"},
        *([policy_change] if policy_admins else []),
    ]})


def topic_policy(topic_arn: str, account_id: str, vault_arn_: str) -> str:
    """AWS Backup may publish this vault's events (``aws:SourceArn`` is the vault, as AWS Backup's
    confused-deputy guidance says for SNS, and ``aws:SourceAccount`` this account); TLS only."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AwsBackupVaultEvents", "Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"},
         "Action": "sns:Publish", "Resource": topic_arn,
         "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                       "ArnEquals": {"aws:SourceArn": vault_arn_}}},
        deny_insecure_publish(topic_arn),
    ]})


def cleanup_policy(region: str, account_id: str) -> str:
    """A continuous backup's cross-region copy starts from a temporary snapshot that AWS Backup
    must delete afterwards; without this, expired temporary snapshots leak."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DeleteBackupTemporarySnapshots", "Effect": "Allow",
         "Action": ["rds:DeleteDBClusterSnapshot", "rds:DeleteDBSnapshot"],
         "Resource": [f"arn:aws:rds:{region}:{account_id}:cluster-snapshot:awsbackup:*",
                      f"arn:aws:rds:{region}:{account_id}:snapshot:awsbackup:*"]},
    ]})


def _vault_arn_output(account: pulumi.Output[str], region: str, prefix: str) -> pulumi.Output[str]:
    return account.apply(lambda acct: vault_arn(region, acct, prefix))


#: AWS Backup's service role. No aws:SourceArn/aws:SourceAccount condition: AWS Backup documents
#: those for resource policies (the SNS topic above: the vault ARN), not for assuming its role, and a
#: condition it does not send would stop every backup. Only a principal of this account with
#: iam:PassRole can hand the role to AWS Backup (roles cannot be passed across accounts).
ASSUME_BACKUP = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"},
]})


def _restore_overrides(args: RegionalBackupArgs, test: AuroraRestoreTest) -> pulumi.Output[dict[str, str]]:
    """Where a restored copy goes: the given subnet group, security groups and KMS key (plus any
    further ``restore_metadata_overrides``)."""
    return pulumi.Output.all(args.restore_subnet_group_name, args.restore_kms_key_arn,
                             *test.security_group_ids).apply(lambda v: {
        **dict(args.restore_metadata_overrides),
        "dbSubnetGroupName": str(v[0]), "kmsKeyId": str(v[1]),
        "vpcSecurityGroupIds": json.dumps(sorted(str(g) for g in v[2:])),
    })


class RegionalBackup(AzoraComponent):
    """See the module docstring. Outputs: ``vault_name``, ``vault_arn``, ``plan_ids``,
    ``copy_destinations``, ``residency_notes``, ``notification_topic_arn``, ``role_arn``,
    ``restore_testing_plan_name``."""

    def __init__(self, name: str, args: RegionalBackupArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azora:backup:RegionalBackup", name, provider, opts)
        args.validate()
        account: pulumi.Output[str] = (
            pulumi.Output.from_input(args.account_id) if args.account_id is not None
            else aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id)
        self.vault_name = vault_name(args.region, args.name_prefix)
        self._vault(args)
        # notifications (only with subscribers: a topic nobody reads would hide failures): a topic
        # encrypted with the backup key (its policy admits backup.amazonaws.com). Failed jobs also
        # reach the region's ticket topic through EventBridge (components.event_alerts).
        self.topic: aws.sns.Topic | None = None
        self.notifications: aws.backup.VaultNotifications | None = None
        if args.notification_emails:
            self._notifications(args, account)
        self._vault_policy(args)
        attachments = self._role(args, account)
        self._plans(args, account, attachments)
        restore_name = self._restore_tests(args, attachments)

        self.vault_arn: pulumi.Output[str] = self.vault.arn
        self.plan_ids: dict[str, pulumi.Output[str]] = {k: p.id for k, p in self.plans.items()}
        self.notification_topic_arn: pulumi.Output[str] | None = self.topic.arn if self.topic else None
        self.role_arn: pulumi.Output[str] = self.role.arn
        self.restore_testing_plan_name = restore_name
        self.register_outputs({
            "vaultName": self.vault_name, "vaultArn": self.vault_arn, "planIds": self.plan_ids,
            "copyDestinations": self.copy_destinations, "residencyNotes": self.residency_notes,
            "notificationTopicArn": self.notification_topic_arn, "roleArn": self.role_arn,
            "restoreTestingPlanName": restore_name, "peerRegions": list(args.peer_regions),
            "restoreTestClasses": sorted(args.restore_tests),
        })

    def _vault(self, args: RegionalBackupArgs) -> None:
        """The vault, encrypted with the backup key, and its lock."""
        self.vault = aws.backup.Vault(
            self.child_name("vault"),
            name=self.vault_name,
            kms_key_arn=args.kms_key_arn,
            force_destroy=False,
            opts=self.child_opts(protect=args.protect),
        )
        self.lock = aws.backup.VaultLockConfiguration(
            self.child_name("lock"),
            backup_vault_name=self.vault.name,
            # changeable_for_days is what makes the lock compliance mode; without it: governance
            changeable_for_days=args.changeable_for_days if args.lock_mode == "compliance" else None,
            min_retention_days=args.min_retention_days,
            max_retention_days=args.max_retention_days,
            opts=self.child_opts(protect=args.protect),
        )

    def _vault_policy(self, args: RegionalBackupArgs) -> None:
        """The deny policy goes last: once set it cannot be changed (unless policy_admins)."""
        self.policy = aws.backup.VaultPolicy(
            self.child_name("policy"),
            backup_vault_name=self.vault.name,
            policy=self.vault.arn.apply(lambda arn: vault_policy(arn, args.policy_admins)),
            opts=self.child_opts(depends_on=[self.lock, *([self.notifications] if self.notifications else [])]),
        )

    def _role(self, args: RegionalBackupArgs, account: pulumi.Output[str]) -> list[aws.iam.RolePolicyAttachment]:
        """The role AWS Backup assumes; returns its managed-policy attachments (what a selection
        must wait for)."""
        region = args.region
        self.role = aws.iam.Role(
            self.child_name("role"),
            name=f"{args.name_prefix}-backup-{region}",
            assume_role_policy=ASSUME_BACKUP,
            description=f"AWS Backup service role for {region}",
            opts=self.child_opts(),
        )
        attachments = [
            aws.iam.RolePolicyAttachment(self.child_name("role", key), role=self.role.name,
                                         policy_arn=arn, opts=self.child_opts())
            for key, arn in MANAGED_POLICIES.items()
        ]
        aws.iam.RolePolicy(
            self.child_name("role", "snapshot-cleanup"),
            role=self.role.name,
            policy=account.apply(lambda acct: cleanup_policy(region, acct)),
            opts=self.child_opts(),
        )
        return attachments

    def _plans(self, args: RegionalBackupArgs, account: pulumi.Output[str],
               attachments: list[aws.iam.RolePolicyAttachment]) -> None:
        """Per data class: a plan (continuous + hourly rules, copies where residency allows) and a
        selection by the ``azora:data-class`` tag."""
        dests, notes = copy_plan(args.region, args.peer_regions, args.data_classes)
        self.copy_destinations: dict[str, list[str]] = dests
        self.residency_notes: dict[str, str] = notes
        self.plans: dict[str, aws.backup.Plan] = {}
        self.selections: dict[str, aws.backup.Selection] = {}
        for dc in args.data_classes:
            cls = DataClass(dc).value
            plan = aws.backup.Plan(
                self.child_name(cls),
                name=f"{args.name_prefix}-{args.region}-{cls}",
                rules=self._plan_rules(args, account, cls, dests[cls]),
                tags={DATA_CLASS: cls, "azora:copy-regions": " ".join(dests[cls]) or "none"},
                opts=self.child_opts(depends_on=[self.lock]),
            )
            self.plans[cls] = plan
            self.selections[cls] = aws.backup.Selection(
                self.child_name(cls, "by-tag"),
                name=f"{args.name_prefix}-{cls}",
                plan_id=plan.id,
                iam_role_arn=self.role.arn,
                selection_tags=[aws.backup.SelectionSelectionTagArgs(
                    type="STRINGEQUALS", key=DATA_CLASS, value=cls)],
                opts=self.child_opts(depends_on=attachments),
            )

    def _plan_rules(self, args: RegionalBackupArgs, account: pulumi.Output[str], cls: str,
                    dests: list[str]) -> list[aws.backup.PlanRuleArgs]:
        rules = []
        if args.continuous_backup:
            rules.append(aws.backup.PlanRuleArgs(
                rule_name="continuous",
                target_vault_name=self.vault.name,
                schedule=args.continuous_schedule,
                enable_continuous_backup=True,
                lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=args.continuous_retention_days),
                recovery_point_tags={DATA_CLASS: cls},
            ))
        copy_actions = [
            aws.backup.PlanRuleCopyActionArgs(
                destination_vault_arn=_vault_arn_output(account, dest, args.name_prefix),
                lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=args.copy_retention_days),
            )
            for dest in dests
        ]
        rules.append(aws.backup.PlanRuleArgs(
            rule_name="hourly",
            target_vault_name=self.vault.name,
            schedule=args.snapshot_schedule,
            start_window=60,
            completion_window=180,
            lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=args.snapshot_retention_days),
            copy_actions=copy_actions or None,
            recovery_point_tags={DATA_CLASS: cls},
        ))
        return rules

    def _restore_tests(self, args: RegionalBackupArgs, attachments: list[aws.iam.RolePolicyAttachment]) -> str:
        """The monthly restore-testing plan and a selection per data class with clusters to restore;
        returns the plan's name."""
        restore_name = f"{args.name_prefix}_{args.region.replace('-', '_')}_monthly"
        self.restore_testing_plan = aws.backup.RestoreTestingPlan(
            self.child_name("restore-test"),
            name=restore_name,
            schedule_expression=args.restore_test_schedule,
            schedule_expression_timezone="Etc/UTC",
            start_window_hours=args.restore_start_window_hours,
            recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
                algorithm="LATEST_WITHIN_WINDOW",
                include_vaults=[self.vault.arn],
                recovery_point_types=["CONTINUOUS", "SNAPSHOT"],
                selection_window_days=args.restore_selection_window_days,
            ),
            opts=self.child_opts(),
        )
        self.restore_testing_selections: dict[str, aws.backup.RestoreTestingSelection] = {}
        for cls, test in sorted(args.restore_tests.items()):
            self.restore_testing_selections[cls] = aws.backup.RestoreTestingSelection(
                self.child_name("restore-test", cls),
                name=f"aurora_{cls}",
                restore_testing_plan_name=self.restore_testing_plan.name,
                protected_resource_type="Aurora",
                protected_resource_arns=list(test.cluster_arns),
                iam_role_arn=self.role.arn,
                validation_window_hours=args.restore_validation_window_hours,
                restore_metadata_overrides=_restore_overrides(args, test),
                opts=self.child_opts(depends_on=attachments),
            )
        return restore_name

    def _notifications(self, args: RegionalBackupArgs, account: pulumi.Output[str]) -> None:
        self.topic = aws.sns.Topic(
            self.child_name("events"),
            name=f"{args.name_prefix}-{args.region}-backup-events",
            kms_master_key_id=args.kms_key_arn,
            opts=self.child_opts(),
        )
        topic_pol = aws.sns.TopicPolicy(
            self.child_name("events-policy"),
            arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, account, self.vault.arn).apply(lambda v: topic_policy(*v)),
            opts=self.child_opts(),
        )
        for email in args.notification_emails:
            aws.sns.TopicSubscription(
                self.child_name("events", email),
                topic=self.topic.arn, protocol="email", endpoint=email,
                filter_policy=json.dumps(FAILURE_FILTER),
                opts=self.child_opts(),
            )
        self.notifications = aws.backup.VaultNotifications(
            self.child_name("notifications"),
            backup_vault_name=self.vault.name,
            sns_topic_arn=self.topic.arn,
            backup_vault_events=list(NOTIFICATION_EVENTS),
            opts=self.child_opts(depends_on=[topic_pol]),
        )
