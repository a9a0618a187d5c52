"""Wiring of `azora:services` into `AzoraService` components (components/service.py).

Each service gets: the cluster and its provider, the region's data key for its image
repository, the ingress gateway (when exposed), its namespace's ClusterSecretStore, its hosts
(default: the latency-routed name and the regional host), and its secrets resolved to ARNs
(``cache:app``: the region's cache application secret). Callers name other services of the
section; they become (namespace, service) pairs.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.cache import RegionalCache
from components.kms import RegionKeys
from components.network import SubnetLayout
from components.service import (
    ApiVersionSpec,
    AzoraService,
    AzoraServiceArgs,
    CallerRef,
    ColourSpec,
    EgressRule,
    MigrationSpec,
    ProbeSpec,
    ResourcesSpec,
    ScalingSpec,
    SecretRef,
)

from ..config import StackConfig
from ..config.services import ServiceConfig
from .kubernetes import RegionKubernetes, public_hosts


def platform_secret(ref: str, cache: RegionalCache) -> pulumi.Input[str]:
    """The ARN behind a platform secret name (``cache:app``), or the name/ARN as given."""
    return cache.app_secret_arn if ref == "cache:app" else ref


def egress_cidrs(cfg: StackConfig, destinations: tuple[str, ...]) -> list[str]:
    """IPv4 networks for `azora:services.<name>.egress.<key>.to`: ``vpc`` is the VPC's CIDR,
    ``subnets:<tier>`` that tier's subnets (the network's layout), anything else as given."""
    layout = SubnetLayout(cfg.network.cidr, cfg.azs).blocks()
    out: list[str] = []
    for dest in destinations:
        if dest == "vpc":
            out.append(cfg.network.cidr)
        elif dest.startswith("subnets:"):
            out.extend(layout[dest.removeprefix("subnets:")][az] for az in cfg.azs)
        else:
            out.append(dest)
    return list(dict.fromkeys(out))


def service_args(cfg: StackConfig, stack: str, name: str, svc: ServiceConfig, keys: RegionKeys,
                 kube: RegionKubernetes, cache: RegionalCache) -> AzoraServiceArgs:
    """The component's args for one service of `azora:services`."""
    if kube.eks is None:
        raise ValueError(f"service {name} needs the cluster (azora:eks.enabled)")
    ns = svc.namespace_name()
    store = kube.secrets.stores.get(ns) if kube.secrets is not None else None
    gateway = kube.gateway.ref if (kube.gateway is not None and svc.exposed) else None
    return AzoraServiceArgs(
        name=name, team=svc.team, namespace=ns, region=cfg.region,
        cluster_name=kube.eks.cluster_name, cluster_arn=kube.eks.cluster_arn, k8s_provider=kube.eks.k8s_provider,
        repository_key_arn=keys.data_key_arn,
        versions={v: ApiVersionSpec(
            colours={c: ColourSpec(image_tag=col.tag, weight=col.weight) for c, col in spec.colours.items()},
            deprecation=spec.deprecation, sunset=spec.sunset) for v, spec in svc.versions.items()},
        gateway=gateway, hosts=tuple(svc.hosts) or tuple(public_hosts(cfg, stack)),
        path_prefix=svc.prefix(name), port=svc.port,
        resources=ResourcesSpec(requests_cpu=svc.resources.requests_cpu, requests_memory=svc.resources.requests_memory,
                                limits_cpu=svc.resources.limits_cpu, limits_memory=svc.resources.limits_memory),
        scaling=ScalingSpec(min_replicas=svc.scaling.min_replicas, max_replicas=svc.scaling.max_replicas,
                            target_cpu_percent=svc.scaling.target_cpu_percent),
        probes=ProbeSpec(readiness_path=svc.probes.readiness_path, liveness_path=svc.probes.liveness_path,
                         startup_seconds=svc.probes.startup_seconds),
        secrets={env: SecretRef(secret=platform_secret(s.secret, cache), property=s.property)
                 for env, s in svc.secrets.items()},
        secret_store=store,
        callers={c: CallerRef(namespace=cfg.services[c].namespace_name(), service=c) for c in svc.callers},
        egress={k: EgressRule(cidrs=egress_cidrs(cfg, e.to), ports=e.ports) for k, e in svc.egress.items()},
        migration=None if svc.migration is None else MigrationSpec(
            image_tag=svc.migration.tag, command=svc.migration.command, args=svc.migration.args,
            backoff_limit=svc.migration.backoff_limit, timeout_seconds=svc.migration.timeout_seconds),
        # the namespaces and mesh (baseline), the stores' CRDs (ESO), the gateway's namespace
        depends_on=tuple(r for r in (kube.baseline, kube.secrets.release if kube.secrets else None,
                                     kube.gateway.namespace if kube.gateway else None) if r is not None),
    )


def build_services(cfg: StackConfig, stack: str, provider: pulumi.ProviderResource, keys: RegionKeys,
                   kube: RegionKubernetes, cache: RegionalCache) -> dict[str, AzoraService]:
    """One `AzoraService` per entry of `azora:services` (none without a cluster). Its
    Kubernetes objects wait for their namespace (the baseline) and the operators whose CRDs
    they use."""
    if kube.eks is None or not cfg.services:
        return {}
    return {name: AzoraService(name, service_args(cfg, stack, name, svc, keys, kube, cache), provider)
            for name, svc in sorted(cfg.services.items())}


def services_outputs(services: dict[str, AzoraService]) -> dict[str, Any]:
    """Stack exports: per service, its image repository and its routes (version -> path)."""
    if not services:
        return {}
    return {"services": {name: {"repositoryUrl": s.repository_url, "routes": s.routes,
                                "deployments": {k: d.metadata.name for k, d in s.deployments.items()}}
                         for name, s in services.items()}}
