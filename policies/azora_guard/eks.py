"""EKS rules (deletion protection is in data_loss.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import tokens as T
from .props import Res, as_list, dig
from .rules import prop_rule, resource_rule

WORLD = {"0.0.0.0/0", "::/0"}
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def _public(r: Res) -> bool:
    return r.get("vpcConfig", "endpointPublicAccess") is not False  # provider default true


prop_rule("eks-endpoint-not-public", (T.EKS_CLUSTER,), lambda r: not _public(r))


@resource_rule("eks-public-cidrs-restricted", T.EKS_CLUSTER)
def public_cidrs(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if not _public(r):
        return
    cidrs = [str(c) for c in as_list(r.get("vpcConfig", "publicAccessCidrs"))]
    if not cidrs or WORLD & set(cidrs):
        yield ("the public EKS endpoint is open to the internet (publicAccessCidrs absent = 0.0.0.0/0): set "
               "vpcConfig.endpointPublicAccess=false, or restrict publicAccessCidrs to known CIDRs")


def _secrets_encrypted(r: Res) -> bool:
    return any("secrets" in [str(x) for x in as_list(dig(cfg, "resources"))] and dig(cfg, "provider", "keyArn")
               for cfg in as_list(r.get("encryptionConfig")))


prop_rule("eks-secrets-encryption", (T.EKS_CLUSTER,), _secrets_encrypted)


@resource_rule("eks-control-plane-logging", T.EKS_CLUSTER)
def control_plane_logs(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    missing = [t for t in LOG_TYPES if t not in [str(x) for x in as_list(r.get("enabledClusterLogTypes"))]]
    if missing:
        yield f"enabledClusterLogTypes misses {', '.join(missing)}: enable all five control-plane log types"


@resource_rule("eks-supported-version", T.EKS_CLUSTER)
def supported_version(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    version = r.get("version")
    allowed = [str(v) for v in cfg.get("supportedVersions") or []]
    if version is not None and allowed and str(version) not in allowed:
        yield f"Kubernetes {version} is not a supported minor: set version to one of {', '.join(allowed)}"


prop_rule("eks-nodegroup-no-open-ssh", (T.EKS_NODE_GROUP,),
          lambda r: bool(as_list(r.get("remoteAccess", "sourceSecurityGroupIds"))),
          applies=lambda r: bool(r.get("remoteAccess", "ec2SshKey")))
