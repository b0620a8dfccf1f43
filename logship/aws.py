"""What logship's AWS calls share: a client without botocore's retries, backoff in a deadline.

Two parts of logship call AWS on a deadline: the CloudWatch Logs reader
(:mod:`logship.cloudwatch`: stitching, ``pull``, ``coverage``) and the
EventBridge publisher of route rules (:mod:`logship.route`). Both

- make their boto3 client on first use, with :func:`make_client` (boto3 and
  botocore are imported there and nowhere on the Lambda's hot path);
- turn botocore's own retries off: they would sleep without knowing the
  deadline;
- retry the codes in :data:`RETRYABLE_CODES` with :class:`Backoff`: capped
  exponential delays with full jitter, never sleeping past the caller's
  deadline (the Lambda's remaining time less its flush margin).

What counts as a failure differs (a read raises, a publish accounts for each
entry), so each caller keeps its own loop around :meth:`Backoff.wait`.
"""

from __future__ import annotations

import importlib
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypedDict

__all__ = [
    "BASE_DELAY_S",
    "CONNECT_TIMEOUT_S",
    "MAX_ATTEMPTS",
    "MAX_DELAY_S",
    "READ_TIMEOUT_S",
    "RETRYABLE_CODES",
    "THROTTLING_CODES",
    "Backoff",
    "ClientOptions",
    "Clock",
    "LazyClient",
    "Sleep",
    "error_code",
    "make_client",
]

# Codes worth retrying: the request was refused for rate or a passing fault.
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalException",  # EventBridge's name for a passing fault
        "InternalServerError",
        # botocore's own names for a connection that failed or went silent
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
    }
)
THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
)
BASE_DELAY_S = 0.1
MAX_DELAY_S = 2.0
MAX_ATTEMPTS = 8  # without a deadline: about 6 s of backoff at most
CONNECT_TIMEOUT_S = 3
READ_TIMEOUT_S = 10

Clock = Callable[[], float]
Sleep = Callable[[float], None]


def make_client(
    service: str,
    region: str = "",
    *,
    profile: str | None = None,
    endpoint_url: str | None = None,
) -> Any:
    """A boto3 client for ``service`` without botocore's own retries (see the module)."""
    boto3 = importlib.import_module("boto3")
    config = importlib.import_module("botocore.config").Config(
        retries={"total_max_attempts": 1},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
    )
    session = boto3.Session(profile_name=profile, region_name=region or None)
    return session.client(service, endpoint_url=endpoint_url, config=config)


def error_code(exc: Exception) -> tuple[str, str]:
    """(the service's error code, its message) of a botocore error; the type's name otherwise."""
    response = getattr(exc, "response", None)  # a botocore ClientError
    if isinstance(response, dict):
        error = response.get("Error") or {}
        return str(error.get("Code") or type(exc).__name__), str(error.get("Message") or "")
    return type(exc).__name__, str(exc)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential backoff with full jitter, bounded by a deadline.

    ``clock``, ``sleep`` and ``jitter`` are injectable so that tests never wait.
    """

    clock: Clock = time.monotonic
    sleep: Sleep = time.sleep
    jitter: Callable[[], float] = random.random
    base_s: float = BASE_DELAY_S
    max_delay_s: float = MAX_DELAY_S
    max_attempts: int = MAX_ATTEMPTS  # the bound when there is no deadline

    def delay(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (1 for the first retry)."""
        return min(self.max_delay_s, self.base_s * 2.0**attempt) * self.jitter()

    def wait(self, attempt: int, deadline: float | None) -> bool:
        """Sleep before retry number ``attempt`` and say True, or say False at once.

        False when the wait would end past ``deadline`` (a ``clock()`` value) or,
        without a deadline, once ``max_attempts`` retries were made: the caller
        gives up with the last error it saw.
        """
        delay = self.delay(attempt)
        out_of_time = deadline is not None and self.clock() + delay > deadline
        if out_of_time or (deadline is None and attempt >= self.max_attempts):
            return False
        self.sleep(delay)
        return True


class ClientOptions(TypedDict, total=False):
    """How a :class:`LazyClient` gets its client and its time (subclasses take the same)."""

    region: str
    client: Any  # a ready client (tests, the CLI)
    client_factory: Callable[[], Any]
    clock: Clock
    sleep: Sleep
    jitter: Callable[[], float]


class LazyClient:
    """A boto3 client for :attr:`service` made on its first use, with the clock, sleep and
    backoff its calls share.

    ``client`` is a ready client (tests, the CLI); without it one is made by
    ``client_factory`` (default :func:`make_client` for the service and
    ``region``) when first needed, so a run that never calls AWS never imports
    boto3. ``clock``, ``sleep`` and ``jitter`` are injectable so tests never wait.
    """

    service: ClassVar[str]

    def __init__(
        self,
        *,
        region: str = "",
        client: Any = None,
        client_factory: Callable[[], Any] | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self._factory = client_factory or (lambda: make_client(self.service, region))
        self._lock = threading.Lock()
        self.clock = clock
        self.sleep = sleep
        self._backoff = Backoff(clock=clock, sleep=sleep, jitter=jitter)

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._factory()
            return self._client
