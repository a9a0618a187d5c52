"""`CertManager`: cert-manager (https://cert-manager.io) in its own namespace, CRDs included.

The platform uses it for certificates made and rotated inside the cluster, whose private keys
never leave it: the ingress gateway's serving certificate (`IngressGateway`: a self-signed
Issuer, a Certificate, the Secret the gateway reads). Two replicas of the controller, webhook
and CA injector, each with a PodDisruptionBudget; leader election inside its own namespace.
The webhook listens on 10250, a port the EKS control plane already reaches on the nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .base import AzoraComponent
from .k8s_baseline import pss_labels

CHART = "cert-manager"
CHART_REPOSITORY = "https://charts.jetstack.io"
DEFAULT_CHART_VERSION = "v1.18.2"
NAMESPACE = "cert-manager"


@dataclass(frozen=True)
class CertManagerArgs:
    #: the cluster's ready provider (`EksCluster.k8s_provider`)
    k8s_provider: pulumi.ProviderResource
    chart_version: str = DEFAULT_CHART_VERSION
    repository: str = CHART_REPOSITORY
    namespace: str = NAMESPACE
    replicas: int = 2
    #: resources the release waits for (e.g. the node groups)
    depends_on: Sequence[pulumi.Resource] = ()


def helm_values(namespace: str, replicas: int) -> dict[str, Any]:
    """Chart values: CRDs installed and kept on uninstall (deleting them would delete every
    Certificate), HA replicas with PDBs, leader election in the release namespace."""
    pdb = {"enabled": True, "maxUnavailable": 1}
    return {
        "crds": {"enabled": True, "keep": True},
        "global": {"leaderElection": {"namespace": namespace}},
        "replicaCount": replicas,
        "podDisruptionBudget": pdb,
        "webhook": {"replicaCount": replicas, "podDisruptionBudget": pdb},
        "cainjector": {"replicaCount": replicas, "podDisruptionBudget": pdb},
    }


class CertManager(AzoraComponent):
    """Namespace (restricted Pod Security Standard) and the cert-manager Helm release.

    Outputs: ``release`` (Certificates and Issuers must wait for it: its CRDs come with it),
    ``namespace``.
    """

    def __init__(self, name: str, args: CertManagerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azora:cert_manager:CertManager", name, args.k8s_provider, opts)
        ns = k8s.core.v1.Namespace(
            self.child_name("namespace"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace, labels=pss_labels("restricted")),
            opts=self.child_opts(provider=args.k8s_provider))
        self.release = k8s.helm.v3.Release(
            self.child_name("release"), name=CHART, chart=CHART, version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.repository),
            namespace=args.namespace, values=helm_values(args.namespace, args.replicas),
            atomic=True, cleanup_on_fail=True, timeout=600,
            opts=self.child_opts(provider=args.k8s_provider, depends_on=[ns, *args.depends_on]))
        self.namespace = args.namespace
        self.register_outputs({"namespace": self.namespace, "releaseStatus": self.release.status})
