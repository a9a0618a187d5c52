"""The price catalog `azora-infra cost` reads: on-demand list prices with their source and the date read.

The catalog (``data/prices/aws.json`` in the repository; another file with ``--prices``) lists prices
by id (``ec2.instance``), optional size (``m7g.large``) and regions (``*`` when the source says the
price is the same everywhere), plus the usage assumptions usage-based components need (GB through a
NAT gateway, ...). A price the catalog lacks is never guessed: the estimate lists it as unpriced.
Format and how to update it: docs/cost.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
#: the catalog shipped with the repository (located relative to the package, like the stack files)
DEFAULT_CATALOG = Path(__file__).resolve().parents[2] / "data" / "prices" / "aws.json"
_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_URL = re.compile(r"^https://\S+$")


class CatalogError(Exception):
    """The catalog file is missing or malformed: one line naming the file and the entry."""


@dataclass(frozen=True)
class Price:
    id: str
    unit: str
    usd: float
    regions: tuple[str, ...]
    source: str
    read: str
    size: str | None = None
    note: str = ""

    def applies(self, region: str) -> bool:
        return "*" in self.regions or region in self.regions

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "unit": self.unit, "usd": self.usd, "source": self.source,
                               "read": self.read}
        if self.size:
            out["size"] = self.size
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Assumption:
    key: str
    value: float
    note: str


@dataclass(frozen=True)
class Catalog:
    path: Path
    currency: str
    hours_per_month: float
    prices: tuple[Price, ...]
    assumptions: dict[str, Assumption]

    def find(self, price_id: str, region: str, size: str | None = None) -> Price | None:
        """The price of ``price_id`` (and ``size``) in ``region``: a region-specific entry wins over ``*``."""
        matches = [p for p in self.prices if p.id == price_id and p.size == size and p.applies(region)]
        exact = [p for p in matches if region in p.regions]
        best = exact or matches
        return best[0] if best else None

    def assumption(self, key: str) -> Assumption:
        try:
            return self.assumptions[key]
        except KeyError:
            raise CatalogError(f"{self.path.name}: assumption {key!r} is missing (see docs/cost.md)") from None

    @property
    def oldest_read(self) -> str | None:
        return min((p.read for p in self.prices), default=None)


def _price(path: Path, index: int, raw: Any) -> Price:
    where = f"{path.name}: prices[{index}]"
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: must be an object")
    unknown = sorted(set(raw) - {"id", "unit", "usd", "regions", "source", "read", "size", "note"})
    if unknown:
        raise CatalogError(f"{where}: unknown keys {unknown}")
    pid = raw.get("id")
    if not isinstance(pid, str) or not _ID.match(pid):
        raise CatalogError(f"{where}: id must be a lower-case dotted name (got {pid!r})")
    where = f"{path.name}: price {pid}" + (f" ({raw['size']})" if raw.get("size") else "")
    usd = raw.get("usd")
    if isinstance(usd, bool) or not isinstance(usd, int | float) or usd < 0:
        raise CatalogError(f"{where}: usd must be a number >= 0")
    regions = raw.get("regions")
    if not isinstance(regions, list) or not regions or not all(isinstance(r, str) and r for r in regions):
        raise CatalogError(f"{where}: regions must be a non-empty list of region names (or ['*'])")
    source = raw.get("source")
    if not isinstance(source, str) or not _URL.match(source):
        raise CatalogError(f"{where}: source must be the https:// URL the price was read from")
    read = raw.get("read")
    try:
        date.fromisoformat(str(read))
    except ValueError:
        raise CatalogError(f"{where}: read must be the date the price was read (YYYY-MM-DD)") from None
    for key in ("unit", "size", "note"):
        if key in raw and not isinstance(raw[key], str):
            raise CatalogError(f"{where}: {key} must be a string")
    if not raw.get("unit"):
        raise CatalogError(f"{where}: unit is required")
    return Price(pid, raw["unit"], float(usd), tuple(regions), source, str(read), raw.get("size"), raw.get("note", ""))


def load_catalog(path: Path | None = None) -> Catalog:
    path = path or DEFAULT_CATALOG
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{path}: no such price catalog") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CatalogError(f"{path}: not a JSON price catalog ({err})") from None
    if not isinstance(doc, dict) or doc.get("formatVersion") != FORMAT_VERSION:
        raise CatalogError(f"{path.name}: not a price catalog of formatVersion {FORMAT_VERSION}")
    hours = doc.get("hoursPerMonth", 730)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 672 <= hours <= 744:
        raise CatalogError(f"{path.name}: hoursPerMonth must be between 672 and 744")
    raw_prices = doc.get("prices")
    if not isinstance(raw_prices, list):
        raise CatalogError(f"{path.name}: prices must be a list")
    prices = tuple(_price(path, i, p) for i, p in enumerate(raw_prices))
    seen: set[tuple[str, str | None, str]] = set()
    for p in prices:
        for region in p.regions:
            key = (p.id, p.size, region)
            if key in seen:
                what = f"{p.id} ({p.size})" if p.size else p.id
                raise CatalogError(f"{path.name}: price {what} listed twice for {region}")
            seen.add(key)
    assumptions: dict[str, Assumption] = {}
    for key, raw in (doc.get("assumptions") or {}).items():
        value = raw.get("value") if isinstance(raw, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise CatalogError(f"{path.name}: assumption {key}: value must be a number >= 0")
        assumptions[str(key)] = Assumption(str(key), float(value), str(raw.get("note", "")))
    return Catalog(path, str(doc.get("currency", "USD")), float(hours), prices, assumptions)
