"""Cost allocation: required tags on every taggable AWS resource; the data class on data stores.

Tags are the resource's `tags` merged with its provider's `defaultTags` (what `tagsAll` holds after the
provider's Check, which a policy never sees). A type is taggable when its pulumi_aws Python class accepts a
`tags` argument (introspected once per type and cached); providers, components, the root stack and
non-taggable types are skipped.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from azora_infra.tags import CUSTOMER, CUSTOMER_ID, DATA_CLASS

from . import tokens as T
from .props import Res
from .rules import resource_rule


@cache
def taggable(type_token: str) -> bool:
    """Does the pulumi_aws class for ``aws:<module>/<x>:<Class>`` accept `tags`?"""
    parts = type_token.split(":")
    if len(parts) != 3 or parts[0] != "aws":
        return False
    module_name = parts[1].split("/")[0]
    try:
        module = importlib.import_module("pulumi_aws" if module_name == "index" else f"pulumi_aws.{module_name}")
    except ImportError:
        return False
    klass = getattr(module, parts[2], None)
    init = getattr(klass, "_internal_init", None)
    if init is None:
        return False
    try:
        return "tags" in inspect.signature(init).parameters
    except (TypeError, ValueError):
        return False


@resource_rule("required-tags")
def required_tags(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    if not r.is_aws or not taggable(r.type):
        return
    tags = r.tags
    missing = [k for k in cfg.get("requiredTags") or [] if not str(tags.get(k, "")).strip()]
    if missing:
        yield (f"missing cost-allocation tag(s) {', '.join(missing)}: add them to the provider's default_tags "
               "(preferred) or to the resource's tags")


@resource_rule("data-class-tag", *T.DATA_STORES)
def data_class_tag(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    tags = r.tags
    valid = list(cfg.get("dataClasses") or [])
    for key in cfg.get("dataStoreTags") or []:
        value = str(tags.get(key, "")).strip()
        if not value:
            yield f"data store without {key}: tag it with {key} = {' | '.join(valid)}"
        elif key == DATA_CLASS and valid and value not in valid:
            yield f"{key}={value!r} is not a known data class: use one of {', '.join(valid)}"


@resource_rule("customer-tag-format")
def customer_tag(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if not r.is_aws:
        return
    value = r.tags.get(CUSTOMER)
    if value is not None and not CUSTOMER_ID.match(value):
        yield (f"{CUSTOMER}={value!r} is not a customer id (lower-case letters, digits and dashes): cost per customer "
               "groups by this exact value")
