"""ElastiCache facts the cache component and the stack config both need: default engine versions,
parameter group families and the global datastore's limits (ElastiCache user guide, "Global
datastores: prerequisites and limitations").

Nothing here creates resources; the module imports nothing but the standard library, so the
config layer may read it without importing the Pulumi SDKs.
"""

from __future__ import annotations

import re

#: AWS allows one primary and at most two secondary regions per global datastore.
MAX_GLOBAL_SECONDARIES = 2

#: Regions where ElastiCache global datastores are available. All three Azora regions are listed
#: (Cape Town, Ireland, Singapore), as are the other regions of the catalog.
GLOBAL_DATASTORE_REGIONS: frozenset[str] = frozenset({
    "af-south-1", "ap-east-1", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
    "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ap-northeast-1",
    "ap-northeast-2", "ap-northeast-3", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1", "il-central-1",
    "me-south-1", "me-central-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
    "us-west-1", "us-west-2",
})

#: Node families a global datastore supports (size large and above only).
GLOBAL_DATASTORE_FAMILIES = ("m5", "m6g", "m7g", "r5", "r6g", "r6gd", "r7g", "c7gn")
SMALL_SIZES = ("micro", "small", "medium")

NODE_TYPE = re.compile(r"^cache\.([a-z0-9]+)\.([a-z0-9]+)$")

#: engine -> default engine version
DEFAULT_VERSIONS = {"valkey": "8.0", "redis": "7.1"}


def parameter_group_family(engine: str, version: str) -> str:
    """The ElastiCache parameter group family of an engine version: ``valkey8``, ``valkey7``,
    ``redis7``, ``redis6.x``."""
    major = int(version.split(".")[0])
    if engine == "valkey":
        return f"valkey{major}"
    return "redis6.x" if major == 6 else f"redis{major}"


def global_node_type_error(node_type: str) -> str | None:
    """Why ``node_type`` cannot be in a global datastore, or None if it can."""
    match = NODE_TYPE.match(node_type)
    if match is None:
        return f"{node_type} is not an ElastiCache node type (e.g. cache.r7g.large)"
    family, size = match.groups()
    if family not in GLOBAL_DATASTORE_FAMILIES or size in SMALL_SIZES:
        return (f"{node_type} cannot be in a global datastore (families "
                f"{', '.join(GLOBAL_DATASTORE_FAMILIES)}, size large or above)")
    return None


def global_datastore_region_error(region: str) -> str | None:
    """Why ``region`` cannot hold a global datastore member, or None if it can."""
    if region in GLOBAL_DATASTORE_REGIONS:
        return None
    return f"ElastiCache global datastores are not available in {region}"
