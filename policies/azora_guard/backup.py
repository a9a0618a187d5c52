"""AWS Backup depth: CMK-encrypted vaults, compliance-mode vault locks, retention, continuous backup,
and cross-region copies for non-personal data (personal copies are residency's business)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import tokens as T
from .props import Res, as_list, dig
from .residency import PERSONAL, plan_data_classes
from .rules import Stack, peek, prop_rule, resource_rule, stack_rule

#: the one-region development environment (merged `azora:environment`): no other region to copy to
DEV = "dev"

prop_rule("backup-vault-cmk", (T.BACKUP_VAULT,), lambda r: r.present("kmsKeyArn"))


@stack_rule("backup-vault-lock")
def vault_lock(stack: Stack, cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    minimum = int(cfg.get("minBackupRetentionDays") or 0)
    for vault in stack.of_type(T.BACKUP_VAULT):
        locks = stack.referrers(vault, "backupVaultName", T.BACKUP_LOCK, values=(peek(vault, "name"),))
        if not locks:
            yield vault, ("vault without a lock: add aws.backup.VaultLockConfiguration(backupVaultName=vault.name, "
                          f"changeableForDays=3, minRetentionDays>={minimum}, maxRetentionDays=...) (compliance mode)")
            continue
        for lock in locks:
            problems = []
            if peek(lock, "changeableForDays") is None:
                problems.append("set changeableForDays (compliance mode; governance mode can be removed)")
            low = peek(lock, "minRetentionDays")
            if low is None or int(low) < minimum:
                problems.append(f"set minRetentionDays >= {minimum}")
            if peek(lock, "maxRetentionDays") is None:
                problems.append("set maxRetentionDays")
            if problems:
                yield lock, "vault lock: " + "; ".join(problems)


@resource_rule("backup-plan-retention", T.BACKUP_PLAN)
def plan_retention(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    minimum = int(cfg.get("minBackupRetentionDays") or 0)
    for rule in as_list(r.get("rules")):
        name = dig(rule, "ruleName")
        keep = dig(rule, "lifecycle", "deleteAfter")
        if keep is not None and int(keep) < minimum:
            yield (f"rule '{name}' deletes recovery points after {keep} days: raise lifecycle.deleteAfter "
                   f"to >= {minimum}")
        for ca in as_list(dig(rule, "copyActions")):
            keep = dig(ca, "lifecycle", "deleteAfter")
            if keep is not None and int(keep) < minimum:
                yield (f"rule '{name}' keeps copies to {dig(ca, 'destinationVaultArn')} only {keep} days: raise "
                       f"copyActions[].lifecycle.deleteAfter to >= {minimum}")


prop_rule("backup-continuous", (T.BACKUP_PLAN,),
          lambda r: any(dig(rule, "enableContinuousBackup") is True for rule in as_list(r.get("rules"))))


@stack_rule("backup-copy-actions")
def copy_actions(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for plan in stack.of_type(T.BACKUP_PLAN):
        classes = plan_data_classes(stack, plan)
        if not classes:
            yield plan, ("cannot tell the plan's data class: tag the plan (or its selection's selectionTags) with "
                         "azora:data-class so copy and residency rules can apply")
            continue
        if PERSONAL in classes or plan.environment == DEV:
            continue  # personal copies are residency's business; dev is one region: nowhere to copy to
        if not any(as_list(dig(rule, "copyActions")) for rule in as_list(peek(plan, "rules"))):
            yield plan, ("non-personal backups are not copied out of the region: add copyActions with "
                         "destinationVaultArn = a vault in another region")
