"""Checks across the stacks of a project, what one stack reads from the others, and choosing the
stacks of an environment (`environment_stacks`).

The stack files form one set per environment (`azora:environment`):

- prod (`africa`, `europe`, `asia`) and staging (`staging-africa`, ...): exactly one `primary`, the
  others `secondary`, every one naming that primary in `primaryStack`; one stack per region;
- dev (`dev`): a single `standalone` stack (no global resources, nothing to name).

Across all environments (they may be peered, or share an account): VPC CIDRs do not overlap, the
environments' global names (Aurora global cluster, ElastiCache global datastore, public zone) and the
stacks' public host names do not collide. Within an environment every secondary uses its primary's
global names, and the global datastore follows AWS's rules (`check_global_datastore`).

Every failure is one `ConfigError` naming the stack file and the field.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from pathlib import Path

from components.cache_catalog import MAX_GLOBAL_SECONDARIES

from .cache import global_datastore_region_error
from .errors import ConfigError
from .loader import NAMESPACE, StackNameError, check_stack_name, load_stack_file, read_stack_file, stack_file_name
from .presets import GLOBAL_CLUSTER_SETTING, GLOBAL_DATASTORE_SETTING, ZONE_SETTING, Environment
from .stack import Role, StackConfig

Stacks = Mapping[str, StackConfig]
#: the order environments claim names in: prod's names are as deployed, the others yield to them
CLAIM_ORDER = (Environment.PROD, Environment.STAGING, Environment.DEV)


def stack_files(project_dir: Path) -> dict[str, Path]:
    """Stack name -> stack file, for every `Pulumi.<stack>.yaml` in the project directory. A file
    whose stack part is not a valid stack name is an error (Pulumi could not have such a stack)."""
    found = {}
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        name = path.name[len("Pulumi.") : -len(".yaml")]
        try:
            found[check_stack_name(name)] = path
        except StackNameError as err:
            raise ConfigError(ascii(path.name)[1:-1], "", str(err)) from None
    return found


def environments(stacks: Stacks) -> dict[Environment, dict[str, StackConfig]]:
    """The stacks by environment (in `CLAIM_ORDER`), each environment's stacks by name."""
    out: dict[Environment, dict[str, StackConfig]] = {}
    for env in CLAIM_ORDER:
        members = {name: cfg for name, cfg in sorted(stacks.items()) if cfg.environment is env}
        if members:
            out[env] = members
    return out


def _error(stack: str, field: str, message: str) -> ConfigError:
    return ConfigError(stack_file_name(stack), f"{NAMESPACE}:{field}", message)


def check_roles(env: Environment, members: Stacks) -> str:
    """One environment's roles: one standalone stack alone, or exactly one primary that every stack
    names. Returns the leading stack (primary or standalone); `members` is not empty."""
    standalone = [n for n, c in members.items() if c.role is Role.STANDALONE]
    if standalone:
        if len(members) > 1:
            other = next(n for n in members if n != standalone[0])
            raise _error(other, "role", f"{env.value} already has the standalone stack {standalone[0]}: a standalone "
                         f"stack is its environment's only stack (make {standalone[0]} a primary to add regions)")
        return standalone[0]
    primaries = [n for n, c in members.items() if c.role is Role.PRIMARY]
    if len(primaries) != 1:
        which = ", ".join(primaries) if primaries else "none"
        where = primaries[1] if primaries else next(iter(members))
        raise _error(where, "role", f"exactly one {env.value} stack must be primary (primary now: {which})")
    primary = primaries[0]
    for name, cfg in members.items():
        if cfg.primary_stack != primary:
            raise _error(name, "primaryStack", f"{cfg.primary_stack!r} is not the primary stack of {env.value} "
                         f"({primary!r})")
    return primary


def _same_as_primary(primary: str, members: Stacks) -> None:
    """A secondary's global names are its primary's: it joins the primary's cluster and datastore (its
    own setting would be ignored) and puts its latency record in the primary's zone."""
    p = members[primary]
    for name, cfg in members.items():
        if name == primary:
            continue
        checks: list[tuple[str, str, str, bool]] = [
            (ZONE_SETTING, cfg.dns.domain, p.dns.domain, True),
            (GLOBAL_CLUSTER_SETTING, cfg.database.global_database.identifier,
             p.database.global_database.identifier, cfg.database.global_database.enabled),
            (GLOBAL_DATASTORE_SETTING, cfg.cache.global_datastore_suffix, p.cache.global_datastore_suffix,
             cfg.cache.global_datastore),
        ]
        for field, mine, theirs, used in checks:
            if used and mine != theirs:
                raise _error(name, field, f"{mine} differs from the primary stack's {theirs}: a secondary uses its "
                             f"primary's (set it in Pulumi.{primary}.yaml)")


def check_global_datastore(stacks: Stacks) -> None:
    """The global datastore of one environment, checked across its stack files:

    - every member's region supports global datastores;
    - if a secondary joins, the primary stack has `globalDatastore` on (it creates the group);
    - at most two secondary regions (AWS's limit);
    - engine, version, node type and shard count of a secondary equal the primary's (AWS
      inherits them; a differing value in a secondary's file would be silently ignored).

    Raises `ConfigError` naming the stack file and field.
    """
    members = [(name, cfg) for name, cfg in sorted(stacks.items()) if cfg.cache.global_datastore]
    for name, cfg in members:
        reason = global_datastore_region_error(cfg.region)
        if reason:
            raise _error(name, "cache.globalDatastore", reason)
    primary = next(((n, c) for n, c in members if c.is_primary), None)
    secondaries = [(n, c) for n, c in members if not c.is_primary]
    if secondaries and primary is None:
        raise _error(secondaries[0][0], "cache.globalDatastore",
                     "the primary stack has no global datastore to join (set azora:cache.globalDatastore: true in "
                     "the primary stack, or false here)")
    if len(secondaries) > MAX_GLOBAL_SECONDARIES:
        first = ", ".join(n for n, _ in secondaries[:MAX_GLOBAL_SECONDARIES])
        raise _error(secondaries[MAX_GLOBAL_SECONDARIES][0], "cache.globalDatastore",
                     f"a global datastore has at most {MAX_GLOBAL_SECONDARIES} secondary regions (already: {first}); "
                     "set globalDatastore: false here")
    if primary is not None:
        p = primary[1].cache
        for name, cfg in secondaries:
            c = cfg.cache
            pairs: tuple[tuple[str, object, object], ...] = (
                ("engine", c.engine, p.engine), ("engineVersion", c.version, p.version),
                ("nodeType", c.node_type, p.node_type), ("shards", c.shards, p.shards))
            for field, mine, theirs in pairs:
                if mine != theirs:
                    raise _error(name, f"cache.{field}", f"{mine} differs from the primary stack's {theirs}: a global "
                                 "datastore member inherits it from the primary (change it there)")


#: the global names an environment's primary claims: (setting, what it names, the name, whether used)
_GLOBAL_NAMES: tuple[tuple[str, str, Callable[[StackConfig], str], Callable[[StackConfig], bool]], ...] = (
    (GLOBAL_CLUSTER_SETTING, "Aurora global cluster", lambda c: c.database.global_database.identifier,
     lambda c: c.database.global_database.enabled),
    (GLOBAL_DATASTORE_SETTING, "ElastiCache global datastore suffix", lambda c: c.cache.global_datastore_suffix,
     lambda c: c.cache.global_datastore),
    (ZONE_SETTING, "public zone", lambda c: c.dns.domain, lambda c: True),
)


def check_names(stacks: Stacks) -> None:
    """No two environments share a global name, and no two stacks a public host name."""
    claimed: dict[tuple[str, str], tuple[Environment, str]] = {}
    for env, members in environments(stacks).items():
        primary = next((n for n, c in members.items() if c.is_primary), None)
        if primary is None:
            continue  # a standalone environment has no global resources
        cfg = members[primary]
        for setting, what, name_of, used in _GLOBAL_NAMES:
            if not used(cfg):
                continue
            name = name_of(cfg)
            owner = claimed.setdefault((setting, name), (env, primary))
            if owner != (env, primary):
                raise _error(primary, setting, f"{name} is already the {what} of {owner[0].value} (stack {owner[1]}): "
                             f"give {env.value} its own")
    hosts: dict[str, str] = {}
    for name, cfg in sorted(stacks.items(), key=lambda item: (CLAIM_ORDER.index(item[1].environment), item[0])):
        host = cfg.edge.host(name, cfg.dns.domain)
        other = hosts.setdefault(host, name)
        if other != name:
            raise _error(name, "edge.hostname", f"{host} is already the host name of stack {other}")


#: what one region of an account holds once, whichever stack creates it: stacks of two environments
#: in the same account must use different regions
REGION_SINGLETONS = ("GuardDuty, Security Hub, AWS Config, Macie and Inspector are one per region of an account; "
                     "the network's subnet groups and flow-log group, the ECR repositories and Application "
                     "Signals' log group have fixed names")


def check_shared_accounts(stacks: Stacks) -> None:
    """Environments may share an AWS account (`azora:accountId`), but not a region of it, and only
    one of them may own the account-wide settings. Stacks without `accountId` are assumed to be in
    their environment's own account (AWS's multi-account practice) and are not compared."""
    declared = sorted((n, c) for n, c in stacks.items() if c.account_id is not None)
    for (a, ca), (b, cb) in itertools.combinations(declared, 2):
        if ca.account_id != cb.account_id or ca.environment is cb.environment:
            continue
        if ca.region == cb.region:
            raise _error(b, "accountId", f"{cb.account_id} is also the account of {a} ({ca.environment.value}) in "
                         f"{cb.region}: two environments cannot share a region of one account ({REGION_SINGLETONS}); "
                         "use another account or region")
        if ca.leads_environment and cb.leads_environment:
            both = [what for what, on in (
                ("Incident Manager (one replication set per account; azora:incidents.enabled)",
                 ca.incidents.enabled and cb.incidents.enabled),
                ("the cost-allocation tag activation (one per account; azora:cost.activateTags)",
                 ca.cost.activate_tags and cb.cost.activate_tags)) if on]
            if both:
                raise _error(b, "accountId", f"{cb.account_id} is also the account of {a}, which leads "
                             f"{ca.environment.value}: both would own {' and '.join(both)}; turn it off in one "
                             "environment or use another account")


def validate_stacks(stacks: Stacks) -> None:
    """Raise a ConfigError naming the offending file and field if the set is inconsistent."""
    for env, members in environments(stacks).items():
        primary = check_roles(env, members)
        for (a, ca), (b, cb) in itertools.combinations(members.items(), 2):
            if ca.region == cb.region:
                raise _error(b, "region", f"{cb.region} is already the region of {env.value} stack {a}")
        if members[primary].is_primary:
            _same_as_primary(primary, members)
        check_global_datastore(members)
    for (a, ca), (b, cb) in itertools.combinations(sorted(stacks.items()), 2):
        if ca.network.network.overlaps(cb.network.network):
            raise _error(b, "network.cidr", f"{cb.network.cidr} overlaps {ca.network.cidr} of stack {a}")
    check_names(stacks)
    check_shared_accounts(stacks)


def load_project(project_dir: Path) -> dict[str, StackConfig]:
    """Load and validate every stack file of the project, then the set as a whole."""
    stacks = {name: load_stack_file(path) for name, path in stack_files(project_dir).items()}
    if not stacks:
        raise ConfigError(str(project_dir), "", "no Pulumi.<stack>.yaml stack files")
    validate_stacks(stacks)
    return stacks


def _selector(path: Path) -> tuple[str, bool]:
    """(`azora:environment`, is primary) of a stack file, read from the file itself: ``prod`` when
    unset, as the config model's default. Only these keys are read, so stacks can be chosen by
    environment before (or without) validating the whole set."""
    config, _ = read_stack_file(path)
    environment = config.get(f"{NAMESPACE}:environment", Environment.PROD.value)
    return str(environment), config.get(f"{NAMESPACE}:role") == Role.PRIMARY.value


def environment_stacks(project_dir: Path, environment: str) -> list[str]:
    """The stacks whose stack file says ``azora:environment: <environment>``: primaries first (the
    others reference them), then by name. A ConfigError naming the environments there are when no
    stack file has this one."""
    found: list[tuple[bool, str]] = []
    seen: set[str] = set()
    for name, path in stack_files(project_dir).items():
        env, primary = _selector(path)
        seen.add(env)
        if env == environment:
            found.append((not primary, name))
    if not found:
        raise ConfigError(str(project_dir), f"{NAMESPACE}:environment",
                          f"no stack file has environment {environment!r} (found: {', '.join(sorted(seen)) or 'none'})")
    return [name for _, name in sorted(found)]
def peer_regions(stack: str, own_region: str, project_dir: Path | None) -> tuple[str, ...]:
    """The regions of the project's other stacks of this stack's environment, read from the
    `Pulumi.<stack>.yaml` files in ``project_dir``; ``()`` when there are none to read.

    Used when `azora:backup.copyRegions` is unset (the other stacks own the vaults copies go to), for
    the Route 53 endpoint's peers and for Incident Manager's replication set.
    """
    if project_dir is None or not stack_files(project_dir):
        return ()
    stacks = load_project(project_dir)
    me = stacks.get(stack)
    out: list[str] = []
    for name, cfg in sorted(stacks.items()):
        if name == stack or cfg.region == own_region or cfg.region in out:
            continue
        if me is not None and cfg.environment != me.environment:
            continue
        out.append(cfg.region)
    return tuple(out)
