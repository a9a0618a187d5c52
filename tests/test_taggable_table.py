"""The taggable-type table the pack reads instead of importing pulumi_aws at check time: generated for
the installed pulumi_aws (regenerate with `python -m policies.azora_guard.gen_taggable`), and it agrees
with introspecting pulumi_aws on every type the repo's stacks use."""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from typing import Any

from policies.azora_guard import gen_taggable, taggable_table, tagging


def test_table_is_for_the_installed_pulumi_aws() -> None:
    installed = metadata.version("pulumi_aws")
    assert installed == taggable_table.PULUMI_AWS_VERSION, (
        f"policies/azora_guard/taggable_table.py is for pulumi_aws {taggable_table.PULUMI_AWS_VERSION}, "
        f"{installed} is installed: run `python -m policies.azora_guard.gen_taggable > "
        "policies/azora_guard/taggable_table.py`")


def test_table_agrees_with_pulumi_aws_on_the_stacks_types(repo_plan: Callable[[str], dict[str, Any]]) -> None:
    types = {r["type"] for stack in ("africa", "europe", "asia") for r in repo_plan(stack)["resources"]}
    aws = sorted(t for t in types if t.startswith("aws:"))
    assert len(aws) > 50
    for token in aws:
        key = f"{token.split(':')[1].split('/')[0]}:{token.split(':')[2]}"
        assert tagging.taggable(token) == tagging.introspect_taggable(key), token
    assert tagging.taggable("aws:s3/bucket:Bucket") and not tagging.taggable("aws:s3/bucketPolicy:BucketPolicy")
    assert not tagging.taggable("pulumi:providers:aws") and not tagging.taggable("kubernetes:core/v1:Namespace")


def test_rendered_table_round_trips() -> None:
    text = gen_taggable.render("1.2.3", ["kms:Key", "s3:Bucket"])
    scope: dict[str, Any] = {}
    exec(compile(text, "taggable_table.py", "exec"), scope)
    assert scope["PULUMI_AWS_VERSION"] == "1.2.3" and scope["TAGGABLE"] == frozenset({"kms:Key", "s3:Bucket"})


def test_another_pulumi_aws_falls_back_to_introspection(monkeypatch: Any) -> None:
    monkeypatch.setattr(tagging, "TAGGABLE", frozenset())
    tagging._installed_matches_table.cache_clear()
    monkeypatch.setattr(tagging, "PULUMI_AWS_VERSION", "0.0.0")
    try:
        assert tagging.taggable("aws:kms/key:Key")  # not in the (empty) table: introspected
    finally:
        tagging._installed_matches_table.cache_clear()
