"""One place that makes boto3 clients and calls them through the retry policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

from .waits import Clock, RealClock, Retrier, Waiter, client_config


@dataclass
class Aws:
    """Clients per (service, region), each call retried on throttling/5xx (`Retrier`), waits
    bounded (`Waiter`), all on one injectable clock. ``endpoint_url`` points every client at one
    endpoint (tests: the moto server on 127.0.0.1); unset, boto3 resolves AWS's (and honours
    ``AWS_ENDPOINT_URL``)."""

    clock: Clock = field(default_factory=RealClock)
    endpoint_url: str | None = None
    session: Any = None
    retrier: Retrier = field(init=False)
    waiter: Waiter = field(init=False)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.retrier = Retrier(clock=self.clock)
        self.waiter = Waiter(clock=self.clock)
        if self.session is None:
            self.session = boto3.session.Session()

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            kwargs: dict[str, Any] = {"region_name": region, "config": client_config()}
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            self._clients[key] = self.session.client(service, **kwargs)
        return self._clients[key]

    def call(self, service: str, region: str, operation: str, **params: Any) -> Any:
        client = self.client(service, region)
        return self.retrier.call(f"{service}.{operation} ({region})", getattr(client, operation), **params)
