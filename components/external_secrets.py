"""`ExternalSecretsOperator`: External Secrets Operator (https://external-secrets.io), installed
once per cluster, syncing AWS Secrets Manager secrets into Kubernetes Secrets.

Identity: the controller runs as ``external-secrets/external-secrets`` and gets AWS credentials
through EKS Pod Identity. Its own role can do one thing: assume the per-namespace reader roles.
Each team namespace has a `ClusterSecretStore` named ``azora-<namespace>`` (Secrets Manager in
this region) that only ExternalSecrets in that namespace may use (``conditions``), and that
reads through that namespace's reader role. A reader role starts with no permissions: each
`AzoraService` grants it ``GetSecretValue`` on exactly the secrets the service declares, so a
namespace can read only what its services asked for, and nothing of another team's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .base import AzoraComponent
from .eks import pod_identity_trust
from .k8s_baseline import pss_labels

CHART = "external-secrets"
CHART_REPOSITORY = "https://charts.external-secrets.io"
DEFAULT_CHART_VERSION = "0.19.2"
NAMESPACE = "external-secrets"
SERVICE_ACCOUNT = "external-secrets"
STORE_API_VERSION = "external-secrets.io/v1"


def store_name(namespace: str) -> str:
    """The ClusterSecretStore serving one team namespace."""
    return f"azora-{namespace}"


@dataclass(frozen=True)
class SecretStoreRef:
    """What a service needs to sync secrets: the store's name and the reader role to grant."""

    name: str
    region: str
    reader_role_name: pulumi.Input[str]
    reader_role_arn: pulumi.Input[str]


@dataclass(frozen=True)
class ExternalSecretsOperatorArgs:
    cluster_name: pulumi.Input[str]
    #: the cluster's ARN: the controller's role trusts only its service account in this cluster
    cluster_arn: pulumi.Input[str]
    region: str
    #: the cluster's ready provider (`EksCluster.k8s_provider`)
    k8s_provider: pulumi.ProviderResource
    #: team namespaces that get a store (each only for itself)
    namespaces: Sequence[str] = ()
    chart_version: str = DEFAULT_CHART_VERSION
    repository: str = CHART_REPOSITORY
    replicas: int = 2
    #: resources the release waits for (e.g. the node groups)
    depends_on: Sequence[pulumi.Resource] = ()


def helm_values(replicas: int) -> dict[str, Any]:
    """Chart values: CRDs, the service account Pod Identity binds, HA controller, webhook and
    cert controller with PDBs (leader election on: only one replica reconciles)."""
    pdb = {"enabled": True, "minAvailable": 1}
    return {
        "installCRDs": True,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "replicaCount": replicas,
        "leaderElect": True,
        "podDisruptionBudget": pdb,
        "webhook": {"replicaCount": replicas, "podDisruptionBudget": pdb},
        "certController": {"replicaCount": replicas, "podDisruptionBudget": pdb},
    }


def reader_trust_policy(controller_role_arn: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "ExternalSecretsController", "Effect": "Allow",
        "Principal": {"AWS": controller_role_arn}, "Action": "sts:AssumeRole"}]})


def controller_policy(reader_role_arns: Sequence[str]) -> str:
    """The controller may only assume the reader roles (never read a secret itself)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "AssumeNamespaceReaders", "Effect": "Allow", "Action": "sts:AssumeRole",
        "Resource": sorted(reader_role_arns)}]})


class ExternalSecretsOperator(AzoraComponent):
    """Controller role (Pod Identity), the Helm release, and a reader role + ClusterSecretStore
    per team namespace.

    Outputs: ``stores`` (namespace -> `SecretStoreRef`), ``release``, ``controller_role_arn``.
    """

    def __init__(self, name: str, args: ExternalSecretsOperatorArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azora:external_secrets:ExternalSecretsOperator", name, provider, opts)
        self._args = args
        self._controller_identity()
        self._release()
        self.stores: dict[str, SecretStoreRef] = {}
        readers = {ns: self._store(ns) for ns in sorted(args.namespaces)}
        if readers:
            aws.iam.RolePolicy(
                self.child_name("controller", "assume-readers"), role=self.controller_role.id,
                policy=pulumi.Output.all(*[r.arn for r in readers.values()]).apply(controller_policy),
                opts=self.child_opts())
        self.controller_role_arn: pulumi.Output[str] = self.controller_role.arn
        self.register_outputs({
            "controllerRoleArn": self.controller_role_arn,
            "stores": {ns: s.name for ns, s in self.stores.items()},
        })

    def _controller_identity(self) -> None:
        self.controller_role = aws.iam.Role(
            self.child_name("controller"),
            assume_role_policy=pod_identity_trust(self._args.cluster_arn, NAMESPACE, SERVICE_ACCOUNT),
            description="External Secrets Operator controller (EKS Pod Identity): assumes namespace readers",
            opts=self.child_opts())
        self.pod_identity = aws.eks.PodIdentityAssociation(
            self.child_name("pod-identity"), cluster_name=self._args.cluster_name, namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT, role_arn=self.controller_role.arn, opts=self.child_opts())

    def _release(self) -> None:
        args = self._args
        k8s_opts = self.child_opts(provider=args.k8s_provider)
        ns = k8s.core.v1.Namespace(
            self.child_name("namespace"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAMESPACE, labels=pss_labels("restricted")), opts=k8s_opts)
        self.release = k8s.helm.v3.Release(
            self.child_name("release"), name=CHART, chart=CHART, version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.repository),
            namespace=NAMESPACE, values=helm_values(args.replicas), atomic=True, cleanup_on_fail=True,
            timeout=600,
            # the controller must get credentials on first start: the association first
            opts=self.child_opts(provider=args.k8s_provider,
                                 depends_on=[ns, self.pod_identity, *args.depends_on]))

    def _store(self, namespace: str) -> aws.iam.Role:
        args = self._args
        reader = aws.iam.Role(
            self.child_name("reader", namespace),
            assume_role_policy=self.controller_role.arn.apply(reader_trust_policy),
            description=f"Secrets Manager reader for namespace {namespace} (granted per service secret)",
            opts=self.child_opts())
        name = store_name(namespace)
        k8s.apiextensions.CustomResource(
            self.child_name("store", namespace), api_version=STORE_API_VERSION, kind="ClusterSecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, labels={"azora.io/namespace": namespace}),
            spec=store_spec(namespace, args.region, reader.arn),
            opts=self.child_opts(provider=args.k8s_provider, depends_on=[self.release]))
        self.stores[namespace] = SecretStoreRef(name=name, region=args.region, reader_role_name=reader.name,
                                                reader_role_arn=reader.arn)
        return reader


def store_spec(namespace: str, region: str, reader_role_arn: pulumi.Input[str]) -> Mapping[str, Any]:
    """Secrets Manager in ``region`` through ``reader_role_arn``, usable only from ``namespace``."""
    return {
        "conditions": [{"namespaces": [namespace]}],
        "provider": {"aws": {"service": "SecretsManager", "region": region, "role": reader_role_arn}},
    }
