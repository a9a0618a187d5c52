"""`AzoraService`: everything an app team needs to run one service on the platform.

Given a name, team, namespace, ports, API versions with their colours (blue/green image tags and
traffic weights), resources, scaling bounds, secrets, callers and an optional migration, it
creates:

- an **ECR repository** (scan on push, immutable tags, KMS, lifecycle) tagged with the service's
  own ``azora:team`` / ``azora:service`` so cost splits by service;
- a **ServiceAccount** with an **EKS Pod Identity** role (tagged the same way);
- **secrets** from AWS Secrets Manager through External Secrets Operator: the namespace's reader
  role is granted exactly the declared secrets, an `ExternalSecret` writes one Kubernetes Secret;
- an optional **migration Job** run before the Deployments roll (Pulumi waits for the Job to
  complete and fails the update when it fails, so a failed migration stops the rollout);
- one **Deployment per version and colour** (restricted pod security, non-root, read-only root
  filesystem, probes, requests and limits, spread across zones) with an **HPA and PDB** each
  (`ServiceGuards`: 70 % CPU, max within 2 minutes, scale-down after 10 minutes);
- a **Service**, a **DestinationRule** (subsets ``<version>-<colour>`` by the ``version`` and
  ``azora.io/colour`` labels, mesh mTLS) and **VirtualServices** for the ingress gateway and for
  callers inside the mesh: ``<prefix>/<version>/...`` goes to that version's colours by weight;
  the route sets the ``x-azora-api-version`` request header (logged by the gateway) and, for a
  deprecated version, the ``Deprecation`` (RFC 9745) and ``Sunset`` (RFC 8594) response headers;
- **NetworkPolicies** for each allowed hop: from the gateway, from each declared caller, and to
  each declared egress destination (the namespace is default-deny).

Blue-green: both colours of a version run; the weights decide who gets traffic. Cutover and
rollback are one weight change and a `pulumi up` (docs/runbooks/blue-green-cutover.md).
"""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from azora_infra.tags import SERVICE, TEAM

from . import netpol
from .base import AzoraComponent
from .eks import pod_identity_trust
from .external_secrets import STORE_API_VERSION, SecretStoreRef
from .gateway import ISTIO_API, GatewayRef
from .k8s_baseline import API_VERSION_HEADER
from .service_guards import ServiceGuards, ServiceGuardsArgs

COLOURS = ("blue", "green")
COLOUR_LABEL = "azora.io/colour"
#: the seed's deprecation notice: a version's sunset is at least this many months after its deprecation
MIN_SUNSET_MONTHS = 12
_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")
_VERSION = re.compile(r"^v[1-9][0-9]{0,2}$")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*$")
#: a pod's own non-root identity (the image need not define a user)
RUN_AS = 10001
#: the EKS Pod Identity Agent (host network on every node): pods fetch their role's credentials there
POD_IDENTITY_AGENT = ("169.254.170.23/32", 80)
#: the injected Istio sidecar's requests and limits (pod annotations; Istio's defaults, 2 CPU and
#: 1 GiB limits per pod, would exhaust a namespace's quota long before the application does)
SIDECAR_RESOURCES: dict[str, str] = {
    "sidecar.istio.io/proxyCPU": "100m", "sidecar.istio.io/proxyMemory": "128Mi",
    "sidecar.istio.io/proxyCPULimit": "500m", "sidecar.istio.io/proxyMemoryLimit": "256Mi",
}


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def deprecation_headers(deprecation: dt.date, sunset: dt.date) -> dict[str, str]:
    """``Deprecation: @<unix seconds>`` (RFC 9745) and ``Sunset: <HTTP-date>`` (RFC 8594), both
    at 00:00 UTC of the given days."""
    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    return {"Deprecation": f"@{int(midnight(deprecation).timestamp())}",
            "Sunset": email.utils.format_datetime(midnight(sunset), usegmt=True)}


@dataclass(frozen=True)
class ColourSpec:
    """One colour of a version: the image tag it runs and its share of the version's traffic."""

    image_tag: str
    weight: int


@dataclass(frozen=True)
class ApiVersionSpec:
    """``/v1/...``: its colours (weights sum to 100) and, once deprecated, its dates."""

    colours: Mapping[str, ColourSpec]
    deprecation: dt.date | None = None
    sunset: dt.date | None = None


@dataclass(frozen=True)
class ResourcesSpec:
    requests_cpu: str = "250m"
    requests_memory: str = "256Mi"
    limits_cpu: str = "1"
    limits_memory: str = "512Mi"


@dataclass(frozen=True)
class ScalingSpec:
    """HPA bounds per Deployment (each colour scales on its own)."""

    min_replicas: int = 3
    max_replicas: int = 12
    target_cpu_percent: int = 70


@dataclass(frozen=True)
class ProbeSpec:
    readiness_path: str = "/ready"
    liveness_path: str = "/live"
    #: the container may take up to this long to start (startup probe)
    startup_seconds: int = 120


@dataclass(frozen=True)
class SecretRef:
    """A Secrets Manager secret (ARN, or name in this region and account) and optionally one
    JSON property of it; it becomes an environment variable of the pods."""

    secret: pulumi.Input[str]
    property: str | None = None


@dataclass(frozen=True)
class CallerRef:
    """A workload allowed to call this service: pods ``app.kubernetes.io/name=<service>`` in
    ``namespace``."""

    namespace: str
    service: str


@dataclass(frozen=True)
class EgressRule:
    """Destinations outside the cluster the service's pods may open (a database subnet, ...)."""

    cidrs: Sequence[str]
    ports: Sequence[int]


@dataclass(frozen=True)
class MigrationSpec:
    """A pre-deploy Job: runs ``command`` from image ``image_tag`` with the service's identity
    and secrets; the Deployments wait for it to complete."""

    image_tag: str
    command: Sequence[str]
    args: Sequence[str] = ()
    backoff_limit: int = 0
    timeout_seconds: int = 900


@dataclass(frozen=True)
class AzoraServiceArgs:
    name: str
    team: str
    namespace: str
    region: str
    #: the cluster's name (Pod Identity association) and ready Kubernetes provider
    cluster_name: pulumi.Input[str]
    #: the cluster's ARN: the pods' role trusts only this service's account in this cluster
    cluster_arn: pulumi.Input[str]
    k8s_provider: pulumi.ProviderResource
    #: the region's KMS key for the image repository (the data key)
    repository_key_arn: pulumi.Input[str]
    versions: Mapping[str, ApiVersionSpec]
    #: the ingress gateway (`IngressGateway.ref`); None: not exposed, mesh callers only
    gateway: GatewayRef | None = None
    #: host names the gateway routes to this service, and its path prefix (e.g. ``/education``)
    hosts: Sequence[str] = ()
    path_prefix: str = ""
    port: int = 8080
    resources: ResourcesSpec = field(default_factory=ResourcesSpec)
    scaling: ScalingSpec = field(default_factory=ScalingSpec)
    probes: ProbeSpec = field(default_factory=ProbeSpec)
    #: environment variable -> secret; needs ``secret_store``
    secrets: Mapping[str, SecretRef] = field(default_factory=dict)
    secret_store: SecretStoreRef | None = None
    #: callers inside the mesh, keyed by a short name
    callers: Mapping[str, CallerRef] = field(default_factory=dict)
    #: egress destinations keyed by a short name
    egress: Mapping[str, EgressRule] = field(default_factory=dict)
    migration: MigrationSpec | None = None
    #: IAM policy statements for the pods' role (none: the role can do nothing)
    policy_statements: Sequence[Mapping[str, Any]] = ()
    #: ECR lifecycle: expire untagged images after this many days, keep this many images
    untagged_image_days: int = 7
    keep_images: int = 200
    #: environment variables for every container
    env: Mapping[str, str] = field(default_factory=dict)
    #: what every Kubernetes object waits for (the namespace, the mesh, the operators' CRDs):
    #: a component's own depends_on does not hold back its children
    depends_on: Sequence[pulumi.Resource] = ()

    def validate(self) -> None:
        where = f"AzoraService {self.name}"
        if not _NAME.match(self.name) or not _NAME.match(self.namespace):
            raise ValueError(f"{where}: name and namespace must be lowercase DNS labels (<= 40 chars)")
        if not self.versions:
            raise ValueError(f"{where}: at least one API version is required")
        for v, spec in self.versions.items():
            _validate_version(where, v, spec)
        if self.gateway is not None and (not self.hosts or not self.path_prefix.startswith("/")
                                         or self.path_prefix.endswith("/")):
            raise ValueError(f"{where}: an exposed service needs hosts and a path prefix like /name")
        if self.secrets and self.secret_store is None:
            raise ValueError(f"{where}: secrets need a secret_store (ExternalSecretsOperator.stores)")
        for env in (*self.secrets, *self.env):
            if not _ENV.match(env):
                raise ValueError(f"{where}: {env!r} is not an environment variable name")
        if not 1 <= self.scaling.min_replicas <= self.scaling.max_replicas:
            raise ValueError(f"{where}: need 1 <= min_replicas <= max_replicas")
        if self.migration is not None and not self.migration.command:
            raise ValueError(f"{where}: a migration needs a command")


def _validate_version(where: str, version: str, spec: ApiVersionSpec) -> None:
    if not _VERSION.match(version):
        raise ValueError(f"{where}: {version!r} is not an API version (v1, v2, ...)")
    unknown = set(spec.colours) - set(COLOURS)
    if not spec.colours or unknown:
        raise ValueError(f"{where}: {version} needs colours among {COLOURS} (got {sorted(spec.colours)})")
    if any(not 0 <= c.weight <= 100 for c in spec.colours.values()) or \
            sum(c.weight for c in spec.colours.values()) != 100:
        raise ValueError(f"{where}: the weights of {version}'s colours must be 0-100 and sum to 100")
    if (spec.deprecation is None) != (spec.sunset is None):
        raise ValueError(f"{where}: {version} needs both a deprecation and a sunset date, or neither")
    if spec.deprecation is not None and spec.sunset is not None and \
            spec.sunset < add_months(spec.deprecation, MIN_SUNSET_MONTHS):
        raise ValueError(f"{where}: {version}'s sunset {spec.sunset} is less than {MIN_SUNSET_MONTHS} months "
                         f"after its deprecation {spec.deprecation}")


def lifecycle_policy(untagged_days: int, keep: int) -> str:
    """Expire untagged images after ``untagged_days``; keep the newest ``keep`` images."""
    return json.dumps({"rules": [
        {"rulePriority": 1, "description": f"expire untagged images after {untagged_days} days",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                       "countNumber": untagged_days},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "description": f"keep the newest {keep} images",
         "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
         "action": {"type": "expire"}},
    ]})


def secret_arn(secret: str, region: str, account: str) -> str:
    """An ARN as given, or the ARN pattern of a secret name (Secrets Manager appends 6 chars)."""
    if secret.startswith("arn:"):
        return secret
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{secret}-??????"


def secrets_read_policy(arns: Sequence[str], region: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadDeclaredSecrets", "Effect": "Allow",
         "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": sorted(arns)},
        # decrypt only through Secrets Manager, only the declared secrets (Secrets Manager's encryption
        # context names the secret), only keys of the secrets' own account and region
        {"Sid": "DecryptThroughSecretsManager", "Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": sorted({f"arn:aws:kms:{region}:{arn.split(':')[4]}:key/*" for arn in arns}),
         "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"},
                       "StringLike": {"kms:EncryptionContext:SecretARN": sorted(arns)}}},
    ]})


class AzoraService(AzoraComponent):
    """One service: registry, identity, secrets, migration, Deployments, routes, guards, policies.

    Outputs: ``repository_url``, ``role_arn``, ``deployments`` (``<version>-<colour>`` ->
    Deployment name), ``service_host`` (the in-cluster name), ``routes`` (version -> path prefix).
    """

    def __init__(self, name: str, args: AzoraServiceArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:service:AzoraService", name, provider, opts)
        self._args = args
        self._tags = {TEAM: args.team, SERVICE: args.name}
        self._base_labels = {"app.kubernetes.io/name": args.name, "app.kubernetes.io/part-of": "azora",
                             "azora.io/team": args.team}
        self._server = {"app.kubernetes.io/name": args.name, "app.kubernetes.io/component": "server"}
        self.service_host = f"{args.name}.{args.namespace}.svc.cluster.local"
        self._registry()
        self._identity()
        before_pods = self._secrets()
        migration = self._migration(before_pods)
        self._workloads([*before_pods, *([migration] if migration is not None else [])])
        self._service_and_routes()
        self._network()
        self.routes = {v: f"{args.path_prefix}/{v}/" for v in args.versions}
        self.register_outputs({
            "repositoryUrl": self.repository_url, "roleArn": self.role_arn,
            "deployments": {k: d.metadata.name for k, d in self.deployments.items()},
            "serviceHost": self.service_host, "routes": self.routes,
        })

    def _k8s(self, *depends_on: pulumi.Resource, **extra: Any) -> pulumi.ResourceOptions:
        after = [*self._args.depends_on, *depends_on]
        return self.child_opts(provider=self._args.k8s_provider, depends_on=after or None, **extra)

    def _meta(self, name: str, labels: Mapping[str, str] | None = None) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=self._args.namespace,
                                          labels={**self._base_labels, **(labels or {})})

    # --- AWS side -------------------------------------------------------------------------------
    def _registry(self) -> None:
        args = self._args
        self.repository = aws.ecr.Repository(
            self.child_name("repository"), name=f"{args.team}/{args.name}",
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(
                encryption_type="KMS", kms_key=args.repository_key_arn)],
            force_delete=False, tags={**self._tags, "Name": f"{args.team}/{args.name}"}, opts=self.child_opts())
        aws.ecr.LifecyclePolicy(
            self.child_name("repository"), repository=self.repository.name,
            policy=lifecycle_policy(args.untagged_image_days, args.keep_images), opts=self.child_opts())
        self.repository_url: pulumi.Output[str] = self.repository.repository_url

    def _identity(self) -> None:
        args = self._args
        self.role = aws.iam.Role(
            self.child_name("role"), assume_role_policy=pod_identity_trust(args.cluster_arn, args.namespace, args.name),
            description=f"{args.namespace}/{args.name} pods (EKS Pod Identity)",
            tags={**self._tags, "Name": f"{args.namespace}-{args.name}"}, opts=self.child_opts())
        if args.policy_statements:
            aws.iam.RolePolicy(
                self.child_name("role", "policy"), role=self.role.id,
                policy=json.dumps({"Version": "2012-10-17", "Statement": list(args.policy_statements)}),
                opts=self.child_opts())
        self.service_account = k8s.core.v1.ServiceAccount(
            self.child_name("service-account"), metadata=self._meta(args.name),
            automount_service_account_token=False, opts=self._k8s())
        self.pod_identity = aws.eks.PodIdentityAssociation(
            self.child_name("pod-identity"), cluster_name=args.cluster_name, namespace=args.namespace,
            service_account=args.name, role_arn=self.role.arn, tags=self._tags, opts=self.child_opts())
        self.role_arn: pulumi.Output[str] = self.role.arn

    def _secrets(self) -> list[pulumi.Resource]:
        """Grant the namespace's reader role the declared secrets; sync them into one Secret.
        Returns what the pods wait for."""
        args = self._args
        before: list[pulumi.Resource] = [self.service_account, self.pod_identity]
        self.secret_name: str | None = None
        if not args.secrets or args.secret_store is None:
            return before
        store = args.secret_store
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=self.provider, parent=self))
        arns = [pulumi.Output.all(s.secret, identity.account_id).apply(
            lambda v: secret_arn(v[0], store.region, v[1])) for s in args.secrets.values()]
        grant = aws.iam.RolePolicy(
            self.child_name("secrets-read"), role=store.reader_role_name,
            policy=pulumi.Output.all(*arns).apply(lambda a: secrets_read_policy(a, store.region)),
            opts=self.child_opts())
        self.secret_name = f"{args.name}-secrets"
        data = []
        for env, ref in sorted(args.secrets.items()):
            remote: dict[str, Any] = {"key": ref.secret}
            if ref.property:
                remote["property"] = ref.property
            data.append({"secretKey": env, "remoteRef": remote})
        external = k8s.apiextensions.CustomResource(
            self.child_name("external-secret"), api_version=STORE_API_VERSION, kind="ExternalSecret",
            metadata=self._meta(args.name),
            spec={"refreshInterval": "1h", "secretStoreRef": {"kind": "ClusterSecretStore", "name": store.name},
                  "target": {"name": self.secret_name, "creationPolicy": "Owner"}, "data": data},
            opts=self._k8s(grant))
        return [*before, external]

    # --- pods -------------------------------------------------------------------------------------
    def _env(self, extra: Mapping[str, str]) -> list[k8s.core.v1.EnvVarArgs]:
        args = self._args
        env = [k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in sorted({**args.env, **extra}.items())]
        env += [k8s.core.v1.EnvVarArgs(name=k, value_from=k8s.core.v1.EnvVarSourceArgs(
            secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name=self.secret_name, key=k)))
            for k in sorted(args.secrets)]
        return env

    def _pod_spec(self, image_tag: str, container: dict[str, Any], **spec: Any) -> k8s.core.v1.PodSpecArgs:
        """The restricted pod every container of the service runs in: non-root, no privilege
        escalation, no capabilities, read-only root filesystem (a small /tmp), RuntimeDefault
        seccomp, the service's identity, requests and limits."""
        args = self._args
        r = args.resources
        return k8s.core.v1.PodSpecArgs(
            service_account_name=args.name, automount_service_account_token=False,
            security_context=k8s.core.v1.PodSecurityContextArgs(
                run_as_non_root=True, run_as_user=RUN_AS, run_as_group=RUN_AS, fs_group=RUN_AS,
                seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault")),
            containers=[k8s.core.v1.ContainerArgs(
                name=args.name, image=self.repository_url.apply(lambda url: f"{url}:{image_tag}"),
                resources=k8s.core.v1.ResourceRequirementsArgs(
                    requests={"cpu": r.requests_cpu, "memory": r.requests_memory},
                    limits={"cpu": r.limits_cpu, "memory": r.limits_memory}),
                security_context=k8s.core.v1.SecurityContextArgs(
                    allow_privilege_escalation=False, read_only_root_filesystem=True, run_as_non_root=True,
                    capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"])),
                volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")],
                **container)],
            volumes=[k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
                size_limit="256Mi"))],
            **spec)

    def _migration(self, before: list[pulumi.Resource]) -> k8s.batch.v1.Job | None:
        """The pre-deploy migration Job. Its name carries a digest of image and command: a new
        migration is a new Job (Jobs are immutable). Not meshed (a sidecar would keep it running)."""
        m = self._args.migration
        if m is None:
            return None
        args = self._args
        digest = hashlib.sha256(json.dumps([m.image_tag, list(m.command), list(m.args)]).encode()).hexdigest()[:8]
        labels = {"app.kubernetes.io/component": "migration", "sidecar.istio.io/inject": "false"}
        container: dict[str, Any] = {"command": list(m.command), "args": list(m.args) or None,
                                     "env": self._env({"AZORA_MIGRATION_IMAGE_TAG": m.image_tag})}
        timeout = f"{m.timeout_seconds + 120}s"
        return k8s.batch.v1.Job(
            self.child_name("migration"),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{args.name}-migrate-{digest}", namespace=args.namespace,
                labels={**self._base_labels, **labels},
                # a failed migration is replaced (run again) on the next `pulumi up`
                annotations={"pulumi.com/replaceUnready": "true"}),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=m.backoff_limit, active_deadline_seconds=m.timeout_seconds,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels={**self._base_labels, **labels}),
                    spec=self._pod_spec(m.image_tag, container, restart_policy="Never"))),
            opts=self._k8s(*before, custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout)))

    def _workloads(self, before: list[pulumi.Resource]) -> None:
        """A Deployment + HPA + PDB per version and colour."""
        args = self._args
        self.deployments: dict[str, k8s.apps.v1.Deployment] = {}
        for version, spec in sorted(args.versions.items()):
            for colour, c in sorted(spec.colours.items()):
                key = f"{version}-{colour}"
                deployment = f"{args.name}-{key}"
                selector = {**self._server, "version": version, COLOUR_LABEL: colour}
                self.deployments[key] = self._deployment(key, deployment, selector, c.image_tag, before)
                ServiceGuards(self.child_name(key), ServiceGuardsArgs(
                    deployment=deployment, namespace=args.namespace, selector=selector,
                    k8s_provider=args.k8s_provider, min_replicas=args.scaling.min_replicas,
                    max_replicas=args.scaling.max_replicas, target_cpu_percent=args.scaling.target_cpu_percent,
                    labels=self._base_labels, depends_on=(*args.depends_on, self.deployments[key])),
                    opts=pulumi.ResourceOptions(parent=self))

    def _deployment(self, key: str, name: str, selector: dict[str, str], image_tag: str,
                    before: list[pulumi.Resource]) -> k8s.apps.v1.Deployment:
        args, p = self._args, self._args.probes
        labels = {**self._base_labels, **selector, "app": args.name}
        version, colour = selector["version"], selector[COLOUR_LABEL]

        def probe(path: str, period_seconds: int, failure_threshold: int) -> k8s.core.v1.ProbeArgs:
            return k8s.core.v1.ProbeArgs(http_get=k8s.core.v1.HTTPGetActionArgs(path=path, port="http"),
                                         period_seconds=period_seconds, failure_threshold=failure_threshold)

        container: dict[str, Any] = {
            "ports": [k8s.core.v1.ContainerPortArgs(name="http", container_port=args.port, protocol="TCP")],
            "env": self._env({"AZORA_API_VERSION": version, "AZORA_COLOUR": colour}),
            "readiness_probe": probe(p.readiness_path, period_seconds=5, failure_threshold=3),
            "liveness_probe": probe(p.liveness_path, period_seconds=10, failure_threshold=3),
            "startup_probe": probe(p.readiness_path, period_seconds=5,
                                   failure_threshold=max(1, p.startup_seconds // 5)),
        }
        spread = [k8s.core.v1.TopologySpreadConstraintArgs(
            max_skew=1, topology_key=topology, when_unsatisfiable=when, match_label_keys=["pod-template-hash"],
            label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector))
            for topology, when in (("topology.kubernetes.io/zone", "DoNotSchedule"),
                                   ("kubernetes.io/hostname", "ScheduleAnyway"))]
        # no replicas: the HPA owns them (a replica count here would reset it on every update)
        return k8s.apps.v1.Deployment(
            self.child_name(key),
            metadata=self._meta(name, selector),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                strategy=k8s.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate", rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(
                        max_unavailable=0, max_surge="25%")),
                revision_history_limit=5, progress_deadline_seconds=600,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels, annotations=dict(SIDECAR_RESOURCES)),
                    spec=self._pod_spec(image_tag, container, topology_spread_constraints=spread,
                                        termination_grace_period_seconds=30))),
            opts=self._k8s(*before))

    # --- routing ----------------------------------------------------------------------------------
    def _service_and_routes(self) -> None:
        args = self._args
        self.service = k8s.core.v1.Service(
            self.child_name("service"), metadata=self._meta(args.name),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP", selector=self._server,
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=args.port, target_port="http",
                                                   protocol="TCP", app_protocol="http")]),
            opts=self._k8s())
        subsets = [{"name": f"{v}-{c}", "labels": {"version": v, COLOUR_LABEL: c}}
                   for v, spec in sorted(args.versions.items()) for c in sorted(spec.colours)]
        rule = k8s.apiextensions.CustomResource(
            self.child_name("destination-rule"), api_version=ISTIO_API, kind="DestinationRule",
            metadata=self._meta(args.name),
            spec={"host": self.service_host, "subsets": subsets, "trafficPolicy": {
                "tls": {"mode": "ISTIO_MUTUAL"},
                "outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s", "baseEjectionTime": "30s",
                                     "maxEjectionPercent": 50}}},
            opts=self._k8s())
        routes = self.http_routes()
        if args.gateway is not None:
            k8s.apiextensions.CustomResource(
                self.child_name("virtual-service"), api_version=ISTIO_API, kind="VirtualService",
                metadata=self._meta(args.name),
                spec={"hosts": list(args.hosts), "gateways": [args.gateway.qualified_name], "http": routes},
                opts=self._k8s(rule))
        # callers inside the mesh get the same version routes and colour weights
        k8s.apiextensions.CustomResource(
            self.child_name("mesh-routes"), api_version=ISTIO_API, kind="VirtualService",
            metadata=self._meta(f"{args.name}-mesh"),
            spec={"hosts": [self.service_host], "gateways": ["mesh"], "http": routes},
            opts=self._k8s(rule))

    def http_routes(self) -> list[dict[str, Any]]:
        """One route per version: ``<prefix>/<v>`` and ``<prefix>/<v>/...`` to its colours by weight."""
        args = self._args
        routes: list[dict[str, Any]] = []
        for version, spec in sorted(args.versions.items()):
            prefix = f"{args.path_prefix}/{version}"
            headers: dict[str, Any] = {"request": {"set": {API_VERSION_HEADER: version}}}
            if spec.deprecation is not None and spec.sunset is not None:
                headers["response"] = {"set": deprecation_headers(spec.deprecation, spec.sunset)}
            routes.append({
                "name": version,
                "match": [{"uri": {"prefix": f"{prefix}/"}}, {"uri": {"exact": prefix}}],
                "headers": headers,
                "route": [{"destination": {"host": self.service_host, "subset": f"{version}-{colour}",
                                           "port": {"number": args.port}}, "weight": c.weight}
                          for colour, c in sorted(spec.colours.items())],
            })
        return routes

    # --- network policies -------------------------------------------------------------------------
    def _network(self) -> None:
        """Allows for each hop into and out of the service's pods (the namespaces are default-deny)."""
        args = self._args
        opts = self._k8s()
        pods = {"app.kubernetes.io/name": args.name}
        name = args.name
        if args.gateway is not None:
            gw = args.gateway
            netpol.policy(self.child_name("netpol", "from-gateway"), f"{name}-from-gateway", args.namespace,
                          netpol.ingress_from_pods(self._server, gw.namespace, gw.pod_labels, [args.port]), opts)
            netpol.policy(self.child_name("netpol", "gateway-egress"), f"gateway-to-{args.namespace}-{name}",
                          gw.namespace,
                          netpol.egress_to_pods(gw.pod_labels, args.namespace, self._server, [args.port]), opts)
        for key, caller in sorted(args.callers.items()):
            source = {"app.kubernetes.io/name": caller.service}
            netpol.policy(self.child_name("netpol", "from", key), f"{name}-from-{key}", args.namespace,
                          netpol.ingress_from_pods(self._server, caller.namespace, source, [args.port]), opts)
            netpol.policy(self.child_name("netpol", "caller-egress", key),
                          f"{caller.service}-to-{args.namespace}-{name}", caller.namespace,
                          netpol.egress_to_pods(source, args.namespace, self._server, [args.port]), opts)
        # credentials for the service's role come from the node's Pod Identity Agent
        agent_cidr, agent_port = POD_IDENTITY_AGENT
        netpol.policy(self.child_name("netpol", "pod-identity"), f"{name}-pod-identity-agent", args.namespace,
                      netpol.egress_to_cidrs(pods, [agent_cidr], [agent_port]), opts)
        for key, rule in sorted(args.egress.items()):
            netpol.policy(self.child_name("netpol", "egress", key), f"{name}-egress-{key}", args.namespace,
                          netpol.egress_to_cidrs(pods, rule.cidrs, rule.ports), opts)
