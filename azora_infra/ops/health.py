"""Route 53 health-check status as Route 53 decides it: healthy when more than 18 % of the
checkers report success."""

from __future__ import annotations

from dataclasses import dataclass

from .aws import Aws

HEALTHY_FRACTION = 0.18
ROUTE53_REGION = "us-east-1"


@dataclass
class HealthStatus:
    health_check_id: str
    checkers: int
    succeeding: int

    @property
    def healthy(self) -> bool:
        return self.checkers > 0 and self.succeeding / self.checkers > HEALTHY_FRACTION

    def summary(self) -> str:
        word = "healthy" if self.healthy else "UNHEALTHY"
        return f"{word} ({self.succeeding}/{self.checkers} checkers succeed)"


def health_status(aws: Aws, health_check_id: str) -> HealthStatus:
    resp = aws.call("route53", ROUTE53_REGION, "get_health_check_status", HealthCheckId=health_check_id)
    obs = resp.get("HealthCheckObservations", [])
    ok = sum(1 for o in obs if str(o.get("StatusReport", {}).get("Status", "")).startswith("Success"))
    return HealthStatus(health_check_id=health_check_id, checkers=len(obs), succeeding=ok)
