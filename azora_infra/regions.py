"""The region catalog and the residency map: the one source the program, the policy pack and the
reports read for "where is this region, which law applies there, and where may a data class go".

Data classes (`azora:data-class` tag):

- ``public``, ``internal``, ``confidential``: may be stored in and copied to any region of the
  deployment (they are what the global database and cross-region backup copies carry);
- ``personal``: personal data stays in its jurisdiction. It lives in a regional (non-global)
  database, and its backups are copied only to other regions of the same jurisdiction.

Some catalogued regions hold no Azora data at all (`Region.holds_data` false: us-east-1, where only
Route 53 health-check metrics and CloudFront's ACM certificates live): no stack deploys there, no
backup copy goes there, and no data class may be stored there (`may_store` is false both ways).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class DataClass(str, Enum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    PERSONAL = "personal"


class Scope(str, Enum):
    """How far a data class may travel from the region that owns it."""

    GLOBAL = "global"  # any region of the deployment
    JURISDICTION = "jurisdiction"  # only regions under the same data-protection law


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: str
    law: str


@dataclass(frozen=True)
class Region:
    name: str
    city: str
    jurisdiction: str  # Jurisdiction.code
    azs: tuple[str, ...]  # availability-zone names, in the order subnets are laid out
    #: may Azora data (any class) be stored here? False: global control-plane services only
    holds_data: bool = True
    #: what the region is used for when it holds no data (for error messages)
    role: str = ""

    @property
    def az_count(self) -> int:
        return len(self.azs)


JURISDICTIONS: dict[str, Jurisdiction] = {
    j.code: j
    for j in (
        Jurisdiction("ZA", "South Africa", "POPIA"),
        Jurisdiction("EU", "European Union", "GDPR"),
        Jurisdiction("UK", "United Kingdom", "UK GDPR"),
        Jurisdiction("SG", "Singapore", "PDPA"),
        Jurisdiction("US", "United States", "CCPA/sectoral"),
    )
}

REGIONS: dict[str, Region] = {
    r.name: r
    for r in (
        Region("af-south-1", "Cape Town", "ZA", ("af-south-1a", "af-south-1b", "af-south-1c")),
        Region("eu-west-1", "Ireland", "EU", ("eu-west-1a", "eu-west-1b", "eu-west-1c")),
        Region("eu-central-1", "Frankfurt", "EU", ("eu-central-1a", "eu-central-1b", "eu-central-1c")),
        Region("eu-west-2", "London", "UK", ("eu-west-2a", "eu-west-2b", "eu-west-2c")),
        Region(
            "ap-southeast-1", "Singapore", "SG", ("ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c")
        ),
        Region("us-east-1", "N. Virginia", "US", ("us-east-1a", "us-east-1b", "us-east-1c"), holds_data=False,
               role="Route 53 health-check metrics and ACM certificates for CloudFront only"),
    )
}

RESIDENCY: dict[DataClass, Scope] = {
    DataClass.PUBLIC: Scope.GLOBAL,
    DataClass.INTERNAL: Scope.GLOBAL,
    DataClass.CONFIDENTIAL: Scope.GLOBAL,
    DataClass.PERSONAL: Scope.JURISDICTION,
}


class UnknownRegionError(KeyError):
    pass


class NoDataRegionError(ValueError):
    """The region is catalogued but holds no Azora data (`Region.holds_data` is false)."""


def region(name: str) -> Region:
    try:
        return REGIONS[name]
    except KeyError:
        known = ", ".join(sorted(REGIONS))
        raise UnknownRegionError(f"unknown region {name!r} (known: {known})") from None


def data_regions() -> list[str]:
    """The catalogued regions that may hold Azora data, sorted."""
    return sorted(name for name, r in REGIONS.items() if r.holds_data)


def data_region(name: str, use: str = "hold Azora data") -> Region:
    """The catalogued region `name` if it may hold data, else UnknownRegionError /
    NoDataRegionError saying why and what to choose instead (`use`: what it was asked to do)."""
    found = region(name)
    if not found.holds_data:
        raise NoDataRegionError(
            f"{name} holds no Azora data ({found.role}), so it cannot {use}; "
            f"use one of {', '.join(data_regions())}")
    return found


def jurisdiction_of(region_name: str) -> Jurisdiction:
    return JURISDICTIONS[region(region_name).jurisdiction]


def may_store(data_class: DataClass | str, home_region: str, target_region: str) -> bool:
    """May data of this class owned by ``home_region`` be stored (or copied) in ``target_region``?
    Never when either region holds no Azora data."""
    if not (region(home_region).holds_data and region(target_region).holds_data):
        return False
    scope = RESIDENCY[DataClass(data_class)]
    if scope is Scope.GLOBAL:
        return True
    return region(home_region).jurisdiction == region(target_region).jurisdiction


def allowed_regions(
    data_class: DataClass | str, home_region: str, candidates: Iterable[str]
) -> list[str]:
    """The candidate regions (other than home) this data class may be copied to, in input order."""
    return [r for r in candidates if r != home_region and may_store(data_class, home_region, r)]


def residency_document() -> dict[str, object]:
    """The catalog and residency map as plain JSON: what the policy pack's config defaults carry."""
    return {
        "regions": {name: r.jurisdiction for name, r in REGIONS.items()},
        "residency": {dc.value: scope.value for dc, scope in RESIDENCY.items()},
        "noData": sorted(name for name, r in REGIONS.items() if not r.holds_data),
    }
