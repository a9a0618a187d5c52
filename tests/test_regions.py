"""The region catalog and residency map."""

from __future__ import annotations

import pytest

from azora_infra import regions
from azora_infra.regions import DataClass


def test_stack_regions_and_their_law() -> None:
    assert regions.jurisdiction_of("af-south-1").law == "POPIA"
    assert regions.jurisdiction_of("eu-west-1").law == "GDPR"
    assert regions.jurisdiction_of("ap-southeast-1").law == "PDPA"


def test_personal_data_stays_in_its_jurisdiction() -> None:
    assert regions.may_store(DataClass.PERSONAL, "eu-west-1", "eu-central-1")
    assert not regions.may_store(DataClass.PERSONAL, "eu-west-1", "af-south-1")
    assert not regions.may_store("personal", "af-south-1", "eu-west-2")
    ours = ["af-south-1", "eu-west-1", "ap-southeast-1"]
    assert regions.allowed_regions("personal", "af-south-1", ours) == []
    assert regions.allowed_regions("personal", "eu-west-1", [*ours, "eu-central-1"]) == ["eu-central-1"]


@pytest.mark.parametrize("dc", ["public", "internal", "confidential"])
def test_non_personal_data_may_go_to_every_region(dc: str) -> None:
    ours = ["af-south-1", "eu-west-1", "ap-southeast-1"]
    assert regions.allowed_regions(dc, "af-south-1", ours) == ["eu-west-1", "ap-southeast-1"]


def test_unknown_region() -> None:
    with pytest.raises(regions.UnknownRegionError, match="unknown region 'xx-1'"):
        regions.region("xx-1")


def test_residency_document_is_plain_json() -> None:
    doc = regions.residency_document()
    assert doc["regions"]["af-south-1"] == "ZA"  # type: ignore[index]
    assert doc["residency"] == {"public": "global", "internal": "global", "confidential": "global",
                                "personal": "jurisdiction"}
