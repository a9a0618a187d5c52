"""The composition of one region's stack: the single readable place that wires components together.

Order matters only through data: the provider first, then the keys every data store and log group
uses, then the network everything runs in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alerting import AlertTopics
from components.audit import AuditTrail
from components.backup import RegionalBackup
from components.cache import RegionalCache
from components.edge import RegionalEdge
from components.eks import EksCluster
from components.gateway import IngressGateway
from components.identity import RegionalUserDirectory
from components.incidents import IncidentResponse
from components.k8s_baseline import KubernetesBaseline
from components.karpenter import Karpenter
from components.kms import RegionKeys, RegionKeysArgs
from components.lb_controller import LoadBalancerController
from components.load_test import LoadTest
from components.network import RegionalNetwork, RegionalNetworkArgs
from components.posture import SecurityPosture
from components.service import AzoraService

from .compose.alerting import alerting_outputs, build_alerting, build_route53_alerting
from .compose.audit import audit_outputs, build_audit
from .compose.cache_edge import build_cache, build_edge, cache_edge_outputs
from .compose.chaos import RegionChaos, build_chaos, chaos_outputs
from .compose.cost import RegionCost, build_cost, cost_outputs, export_bucket_arns
from .compose.database import RegionDatabase, build_database, database_outputs
from .compose.dns_backup import RegionDns, build_backup, build_dns
from .compose.dns_backup import outputs as dns_backup_outputs
from .compose.identity import build_identity, identity_outputs
from .compose.incidents import build_incidents, incident_plan_arns, incidents_outputs
from .compose.kubernetes import RegionKubernetes, build_kubernetes, kubernetes_outputs
from .compose.load_test import build_load_test, load_test_outputs
from .compose.observability import RegionObservability, RegionParts, build_observability, observability_outputs
from .compose.ownership import OwnerProviders, owner_providers
from .compose.posture import build_posture, posture_outputs
from .compose.services import build_services, services_outputs
from .config import StackConfig
from .provider import region_provider


@dataclass
class RegionStack:
    config: StackConfig
    stack: str
    provider: aws.Provider
    keys: RegionKeys
    network: RegionalNetwork
    #: public zone (primary), health-checked latency record (once the ALB is wired)
    dns: RegionDns
    backup: RegionalBackup
    #: the page and ticket topics every alarm of the region notifies
    alerts: AlertTopics
    #: the EKS cluster, Karpenter and the Kubernetes baseline (None when `azora:eks.enabled` is false)
    eks: EksCluster | None = None
    karpenter: Karpenter | None = None
    baseline: KubernetesBaseline | None = None
    #: Aurora: the resident (personal-data) cluster, and the global cluster + its member here
    database: RegionDatabase | None = None
    #: ElastiCache (global datastore member unless `azora:cache.globalDatastore` is false)
    cache: RegionalCache | None = None
    #: the internet-facing ALB, TLS 1.3 listener, WAF web ACL and target groups
    edge: RegionalEdge | None = None
    #: the AWS Load Balancer Controller (None without EKS)
    lb_controller: LoadBalancerController | None = None
    #: one provider per owner (azora:ownership): the cost tags of each part
    owners: OwnerProviders | None = None
    #: CloudTrail trail, object-locked archive, CIS alarms (None when azora:audit.enabled is false)
    audit: AuditTrail | None = None
    #: Config, GuardDuty, Security Hub, Access Analyzer, Inspector, Macie
    posture: SecurityPosture | None = None
    #: the jurisdiction's Cognito user pools
    identity: RegionalUserDirectory | None = None
    #: budgets (every stack); cost-allocation tags, anomaly monitors, CUR export (primary)
    cost: RegionCost | None = None
    #: the Istio ingress gateway bound to the edge's target group (None without EKS or mesh)
    gateway: IngressGateway | None = None
    #: cert-manager, External Secrets Operator and the rest of the cluster's parts
    kubernetes: RegionKubernetes | None = None
    #: `azora:services`, one `AzoraService` each
    services: dict[str, AzoraService] | None = None
    #: AWS FIS experiment templates and (staging) the daily random run (None: `azora:chaos` off)
    chaos: RegionChaos | None = None
    #: the k6 load test (staging with `azora:loadTest.enabled`)
    load_test: LoadTest | None = None
    #: the page and ticket topics in us-east-1 (the Route 53 health-check alarm's region)
    route53_alerts: AlertTopics | None = None
    #: Incident Manager (the primary stack only: one per account)
    incidents: IncidentResponse | None = None
    #: alarms, SLO burn-rate alerts, canary, alerting events, telemetry, dashboards
    observability: RegionObservability | None = None

    def outputs(self) -> dict[str, Any]:
        """What the stack exports (secondaries and ops tooling read these by StackReference)."""
        return {
            "region": self.config.region,
            "jurisdiction": self.config.jurisdiction.code,
            "role": self.config.role.value,
            "environment": self.config.environment.value,
            "vpcId": self.network.vpc_id,
            "vpcCidr": self.network.cidr,
            "privateSubnetIds": self.network.private_subnet_ids,
            "databaseSubnetIds": self.network.database_subnet_ids,
            "dbSubnetGroupName": self.network.db_subnet_group_name,
            "cacheSubnetGroupName": self.network.cache_subnet_group_name,
            "kmsKeyArns": self.keys.key_arns,
            **dns_backup_outputs(self.dns, self.backup),
            **alerting_outputs(self.alerts, self.route53_alerts),
            **kubernetes_outputs(self.eks),
            **database_outputs(self.database),
            **cache_edge_outputs(self.cache, self.edge),
            **audit_outputs(self.audit),
            **posture_outputs(self.posture),
            **identity_outputs(self.identity),
            **(cost_outputs(self.cost) if self.cost is not None else {}),
            **services_outputs(self.services or {}),
            **chaos_outputs(self.chaos),
            **load_test_outputs(self.load_test),
            **incidents_outputs(self.incidents),
            **observability_outputs(self.observability),
        }


def build_region_stack(cfg: StackConfig, stack: str) -> RegionStack:
    provider = region_provider(cfg)
    owners = owner_providers(cfg, provider)
    alerts = build_alerting(cfg, stack, owners.of("observability"))
    keys = RegionKeys(
        "keys",
        RegionKeysArgs(
            region=cfg.region,
            administrators=cfg.kms.administrators,
            key_policy_owners=cfg.kms.key_policy_owners,
            users=cfg.kms.users,
            deletion_window_days=cfg.kms.deletion_window_days,
            protect=cfg.preset.protect,
            alias_prefix=cfg.global_names.regional_prefix,
        ),
        owners.of("kms"),
    )
    network = RegionalNetwork(
        "network",
        RegionalNetworkArgs(
            cidr=cfg.network.cidr,
            azs=cfg.azs,
            region=cfg.region,
            logs_key_arn=keys.logs_key_arn,
            nat_per_az=cfg.nat_per_az,
            flow_log_retention_days=cfg.log_retention_days,
            interface_endpoints=cfg.network.interface_endpoints,
            cluster_name=f"azora-{stack}",
        ),
        owners.of("network"),
    )
    # The edge comes first so DNS gets the ALB (health-checked latency record aliasing it); its
    # certificate is validated in the public zone
    # that build_dns creates (primary) or reads (secondary): a deferred output resolved below.
    # A standalone stack (dev) has no zone: its certificate is validated in azora:edge.hostedZoneId.
    zone_id: pulumi.Output[str] | None = None
    resolve_zone_id: Callable[[pulumi.Output[str]], None] | None = None
    if cfg.joins_global:
        zone_id, resolve_zone_id = pulumi.deferred_output()
    edge = build_edge(cfg, stack, owners.of("edge"), keys, network, zone_id)
    dns = build_dns(cfg, stack, owners.of("dns"), alb_dns_name=edge.dns_name, alb_zone_id=edge.zone_id)
    if resolve_zone_id is not None and dns.zone_id is not None:
        resolve_zone_id(dns.zone_id)
    # the cluster, its operators and the ingress gateway bound to the edge's target group
    kube = build_kubernetes(cfg, stack, owners.of("eks"), keys, network, edge, instance_tags=owners.tags("eks"))
    # Aurora accepts 5432 only from the EKS nodes (from nobody when EKS is disabled)
    database = build_database(cfg, stack, owners.of("database"), keys, network,
                              [kube.eks.node_security_group_id] if kube.eks is not None else [])
    # after the databases: the monthly restore test names their clusters, subnet group and key
    backup = build_backup(cfg, stack, owners.of("backup"), keys, network=network, database=database)
    # the cache accepts 6379 only from the EKS nodes too
    cache = build_cache(cfg, stack, owners.of("cache"), keys, network,
                        [kube.eks.node_security_group_id] if kube.eks is not None else [],
                        primary_ref=database.primary_ref)
    # who is paged: the us-east-1 topics of the health-check alarm, and Incident Manager (the
    # primary's response plans; a secondary reads them from the primary's exports)
    route53_alerts = build_route53_alerting(cfg, stack, provider)
    incidents = build_incidents(cfg, stack, provider, alerts)
    incident_plans = incident_plan_arns(cfg, incidents, database.primary_ref)
    # audit, posture, identity and cost: the trail records object events on the buckets holding
    # personal or confidential data (ALB access logs, the cost export); Config, Cognito auth events
    # and the trail all land in the in-region archive; the CIS alarms page and open incidents
    cost = build_cost(cfg, stack, owners, alerts)
    audit = build_audit(cfg, stack, owners.of("audit"), alerts,
                        data_bucket_arns=[edge.log_bucket.arn, *export_bucket_arns(cost)],
                        incident_plan_arn=incident_plans.get("page"))
    posture = build_posture(cfg, stack, owners.of("posture"), alerts, audit,
                            personal_bucket_names=[edge.access_log_bucket])
    identity = build_identity(cfg, stack, owners.of("identity"), edge, audit)
    # the services last: their secrets may name the cache's application secret
    services = build_services(cfg, stack, provider, keys, kube, cache)
    # the operating layer: alarms (page ones open incidents), SLOs, canary, telemetry, dashboards
    observability = build_observability(cfg, stack, provider, RegionParts(
        keys=keys, network=network, alerts=alerts, route53_alerts=route53_alerts, edge=edge, dns=dns,
        database=database, cache=cache, kube=kube, incident_plans=incident_plans,
        other_alarm_arns=[a.arn for a in audit.alarms.values()] if audit is not None else []))
    # FIS templates after everything they target; stopped by the SLO fast-burn (page) alarms and
    # the component's own ALB guard (compose/chaos.py)
    chaos = build_chaos(cfg, stack, provider, keys, kube, database, cache, edge,
                        alert_actions=[alerts.ticket_topic_arn],
                        slo_alarm_arns=observability.stop_alarm_arns() if observability is not None else None)
    return RegionStack(config=cfg, stack=stack, provider=provider, keys=keys, network=network,
                       dns=dns, backup=backup, alerts=alerts, eks=kube.eks, karpenter=kube.karpenter,
                       baseline=kube.baseline,
                       database=database, cache=cache, edge=edge, lb_controller=kube.lb_controller,
                       owners=owners, audit=audit, posture=posture, identity=identity, cost=cost,
                       gateway=kube.gateway, kubernetes=kube, services=services, chaos=chaos,
                       load_test=build_load_test(cfg, kube), route53_alerts=route53_alerts, incidents=incidents,
                       observability=observability)


def export(region_stack: RegionStack) -> None:
    for key, value in region_stack.outputs().items():
        pulumi.export(key, value)
