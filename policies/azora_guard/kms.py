"""KMS rules (replica-key residency is in residency.py; protect in data_loss.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import tokens as T
from .props import Res, principal_is_public, statements
from .rules import Stack, peek, prop_rule, resource_rule, stack_rule


def _symmetric(r: Res) -> bool:
    spec = r.get("customerMasterKeySpec") or r.get("keySpec") or "SYMMETRIC_DEFAULT"
    usage = r.get("keyUsage") or "ENCRYPT_DECRYPT"
    return spec == "SYMMETRIC_DEFAULT" and usage == "ENCRYPT_DECRYPT"


prop_rule("kms-key-rotation", (T.KMS_KEY,), lambda r: r.get("enableKeyRotation") is True, applies=_symmetric)
prop_rule("kms-no-bypass-lockout-check", (T.KMS_KEY, T.KMS_KEY_POLICY, T.KMS_REPLICA),
          lambda r: r.get("bypassPolicyLockoutSafetyCheck") is not True)
prop_rule("kms-description", (T.KMS_KEY, T.KMS_REPLICA), lambda r: len(str(r.get("description") or "")) >= 6)
prop_rule("kms-key-enabled", (T.KMS_KEY, T.KMS_REPLICA),
          lambda r: r.get("isEnabled") is not False and r.get("enabled") is not False)


@resource_rule("kms-policy-no-wildcard-principal", T.KMS_KEY, T.KMS_KEY_POLICY, T.KMS_REPLICA)
def wildcard_principal(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    for st in statements(r.get("policy")):
        if st.get("Effect") == "Allow" and principal_is_public(st.get("Principal")) and not st.get("Condition"):
            yield (f"statement {st.get('Sid') or '(no Sid)'} allows Principal '*' without a Condition: name the "
                   "principals or add a Condition (kms:CallerAccount, kms:ViaService)")


@stack_rule("kms-key-policy-defined")
def key_policy_defined(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for key in stack.of_type(T.KMS_KEY):
        if key.present("policy"):
            continue
        if stack.referrers(key, "keyId", T.KMS_KEY_POLICY, values=(peek(key, "keyId"),)):
            continue
        yield key, "key without an explicit policy (the default grants the whole account): set policy on the key"

