"""Clock, bounded waits and retries with backoff: every loop here ends.

Every wait has a deadline on an injectable `Clock` (tests pass a fake one that advances when
slept on, so nothing really sleeps); every retried AWS call gives up after ``attempts``. The
boto3 clients are made with botocore's own retries off (`client_config`), so the retry policy
and its sleeps are this module's and visible to tests.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol, TypeVar

import botocore.config
import botocore.exceptions

T = TypeVar("T")

#: error codes AWS services use for throttling
THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
    "ProvisionedThroughputExceededException", "SlowDown", "PriorRequestNotComplete",
    "BandwidthLimitExceeded", "EC2ThrottledException",
})
#: transient server-side codes (besides any HTTP 5xx)
TRANSIENT_CODES = frozenset({"InternalError", "InternalFailure", "ServiceUnavailable", "InternalServerError"})


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def now(self) -> datetime: ...
    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class WaitTimeout(Exception):
    """A bounded wait ran out of time; the message says what was awaited and the last state."""


class RetriesExhausted(Exception):
    """A call kept failing with a retryable error."""


def client_config(connect_timeout: float = 10, read_timeout: float = 60) -> botocore.config.Config:
    """botocore's retries off: `Retrier` owns retries and their sleeps."""
    return botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                  connect_timeout=connect_timeout, read_timeout=read_timeout)


def retryable(err: BaseException) -> str | None:
    """Why ``err`` is worth retrying (``throttled``/``server error``/``connection``), or None."""
    if isinstance(err, botocore.exceptions.ClientError):
        code = str(err.response.get("Error", {}).get("Code", ""))
        status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in THROTTLING_CODES or status == 429:
            return "throttled"
        if code in TRANSIENT_CODES or status >= 500 or (code.isdigit() and int(code) >= 500):
            return "server error"
        return None
    if isinstance(err, botocore.exceptions.ResponseParserError):
        return "server error"  # an HTML 5xx page instead of the service's XML/JSON
    if isinstance(err, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError,
                        botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectTimeoutError)):
        return "connection"
    return None


@dataclass
class Retrier:
    """Calls with exponential backoff and full jitter on throttling, 5xx and connection errors."""

    clock: Clock = field(default_factory=RealClock)
    attempts: int = 6
    base_seconds: float = 0.5
    cap_seconds: float = 20.0
    rng: random.Random = field(default_factory=random.Random)
    #: (operation, attempt, reason, delay) of every retry made, for the summary and tests
    log: list[tuple[str, int, str, float]] = field(default_factory=list)

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        for attempt in range(1, self.attempts + 1):
            try:
                return fn(*args, **kwargs)
            except Exception as err:
                reason = retryable(err)
                if reason is None:
                    raise
                if attempt == self.attempts:
                    raise RetriesExhausted(f"{what}: still {reason} after {self.attempts} attempts ({err})") from err
                delay = self.rng.uniform(0, min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1)))
                self.log.append((what, attempt, reason, delay))
                self.clock.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class Waiter:
    """Polls ``probe`` until ``done(state)``; fails early on ``failed(state)``; bounded by ``timeout``."""

    clock: Clock = field(default_factory=RealClock)
    interval_seconds: float = 15.0

    def until(self, what: str, probe: Callable[[], T], done: Callable[[T], bool], timeout_seconds: float,
              failed: Callable[[T], str | None] | None = None,
              describe: Callable[[T], str] = repr) -> T:
        deadline = self.clock.monotonic() + timeout_seconds
        while True:
            state = probe()
            if done(state):
                return state
            problem = failed(state) if failed else None
            if problem:
                raise WaitTimeout(f"{what}: {problem}")
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                raise WaitTimeout(f"{what}: not done after {timeout_seconds:g} s (last state: {describe(state)})")
            self.clock.sleep(min(self.interval_seconds, remaining))
