"""Where built Sentry events go: the last stage of the pipeline.

A :class:`Sink` takes events one at a time with :meth:`Sink.send` and delivers
them on :meth:`Sink.flush`, which reports exactly which event ids got through
and which did not. Two sinks exist:

- :class:`MemorySink` keeps events in a list: dry runs and tests.
- :class:`SentrySink` sends them to one DSN through sentry-sdk. Each sink owns
  its own ``sentry_sdk.Client`` (never ``sentry_sdk.init``: library code leaves
  the global hub alone). The client builds the envelope and the auth header;
  our transport only collects envelopes, and ``flush`` posts them with its own
  retry loop, because sentry-sdk's background transport drops an event on the
  first 429/5xx/network error and cannot tell the caller which one it lost.

The DSN is a credential: it never appears in a reason, a repr or a log line.
"""

from __future__ import annotations

import gzip
import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, cast

import sentry_sdk
import urllib3
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport
from sentry_sdk.utils import BadDsn, Dsn

from .exceptions import SettingsError

if TYPE_CHECKING:
    from sentry_sdk._types import Event as SdkEvent

Event = dict[str, Any]

USER_AGENT = "logship/0.1"
# Categories of an X-Sentry-Rate-Limits entry that stop an error event. An empty
# category list means "everything" (https://develop.sentry.dev/sdk/rate-limiting/).
_EVENT_CATEGORIES = frozenset({"error", "default"})
# Status codes worth another try: the server may accept the same bytes later.
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_MIN_ATTEMPT_S = 0.05  # below this a request cannot complete; give up instead


@dataclass(frozen=True, slots=True)
class DeliveryFailure:
    """An event that was not delivered, and why (never containing the DSN)."""

    event_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What one :meth:`Sink.flush` did with the events sent since the last flush."""

    delivered: tuple[str, ...] = ()
    failed: tuple[DeliveryFailure, ...] = ()
    attempts: int = 0  # HTTP requests made, retries included

    @property
    def failed_ids(self) -> frozenset[str]:
        return frozenset(failure.event_id for failure in self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed


class Sink(ABC):
    """Receives built events and delivers them on :meth:`flush`."""

    @abstractmethod
    def send(self, event: Mapping[str, Any]) -> None:
        """Queue one event. It must carry an ``event_id``; delivery happens on flush."""

    @abstractmethod
    def flush(self, deadline_s: float) -> DeliveryResult:
        """Deliver everything queued, giving up ``deadline_s`` seconds from now.

        Every event queued since the previous flush appears in the result,
        either delivered or failed.
        """

    def close(self) -> None:  # noqa: B027 - a no-op is the right default for most sinks
        """Release connections; the sink is not used afterwards."""


def _event_id(event: Mapping[str, Any]) -> str:
    event_id = event.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        raise ValueError("a Sentry event needs an event_id before it is sent")
    return event_id


@dataclass
class MemorySink(Sink):
    """Keeps events in memory: the dry run's sink and the tests'.

    ``events`` holds everything ever sent, in order; ``flushes`` counts the
    flush calls. Nothing ever fails.
    """

    events: list[Event] = field(default_factory=list)
    flushes: int = 0
    _pending: list[str] = field(default_factory=list, repr=False)

    def send(self, event: Mapping[str, Any]) -> None:
        self._pending.append(_event_id(event))
        self.events.append(dict(event))

    def flush(self, deadline_s: float) -> DeliveryResult:
        self.flushes += 1
        delivered, self._pending = tuple(self._pending), []
        return DeliveryResult(delivered=delivered)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How :class:`SentrySink` retries within a flush's deadline."""

    attempt_timeout_s: float = 10.0  # one request; a hung server costs at most this
    connect_timeout_s: float = 3.0
    backoff_base_s: float = 0.2
    backoff_max_s: float = 5.0
    default_rate_limit_s: float = 60.0  # a 429 without Retry-After, as sentry-sdk assumes
    max_workers: int = 4  # concurrent requests during a flush

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Exponential backoff with jitter for the ``attempt``-th retry (0-based)."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2.0 ** min(attempt, 30))
        return ceiling * (0.5 + rng() / 2)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    seconds: float = moment.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)


def parse_rate_limits(value: str | None) -> float | None:
    """Seconds error events are limited for, from an ``X-Sentry-Rate-Limits`` header.

    The header is a comma list of ``retry_after:categories:scope:...`` entries;
    only entries whose categories include errors (or are empty: all of them)
    concern us. ``None`` when nothing limits errors.
    """
    if not value:
        return None
    longest: float | None = None
    for entry in value.split(","):
        parts = entry.strip().split(":")
        if len(parts) < 2:
            continue
        try:
            seconds = float(parts[0])
        except ValueError:
            continue
        categories = {c for c in parts[1].split(";") if c}
        if categories and not categories & _EVENT_CATEGORIES:
            continue
        longest = seconds if longest is None else max(longest, seconds)
    return longest


class _CollectingTransport(Transport):
    """A sentry-sdk transport that only keeps the envelopes the client hands it.

    :class:`SentrySink` sends them on flush, synchronously and with retries.
    """

    def __init__(self, dsn: str) -> None:
        super().__init__({"dsn": dsn})
        self._lock = threading.Lock()
        self._envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        with self._lock:
            self._envelopes.append(envelope)

    def take(self) -> list[Envelope]:
        with self._lock:
            envelopes, self._envelopes = self._envelopes, []
        return envelopes


class _RateLimit:
    """When the server allows the next error event; shared by a flush's workers."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._until = 0.0

    def limit_for(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self._clock() + seconds)

    def wait_s(self) -> float:
        with self._lock:
            return max(0.0, self._until - self._clock())


def redact_dsn(dsn: str) -> str:
    """The DSN without its keys, for messages: ``https://***@o1.ingest.sentry.io/42``."""
    try:
        parsed = Dsn(dsn)
    except BadDsn:
        return "<invalid DSN>"
    port = "" if parsed.port in (80, 443) else f":{parsed.port}"
    return f"{parsed.scheme}://***@{parsed.host}{port}{parsed.path}{parsed.project_id}"


def _describe(exc: Exception) -> str:
    """A reason for a failed request that names the problem but never the URL or DSN."""
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: test it first.
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = getattr(cause, "strerror", None) or "could not connect"
        return f"connection failed: {detail}"
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return "connect timed out"
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return "read timed out"
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return "connection dropped"
    return f"request failed: {type(exc).__name__}"


class SentrySink(Sink):
    """Sends events to one Sentry DSN through a private ``sentry_sdk.Client``.

    ``send`` hands the event to the client, which wraps it in an envelope (our
    ``event_id`` kept, no ``server_name``, no sampling, no integrations, no
    ``before_send``); ``flush`` posts the envelopes, retrying 429 (honouring
    ``Retry-After`` and ``X-Sentry-Rate-Limits``), 408/5xx, timeouts and
    refused connections with backoff until the deadline, and reports each
    event id as delivered or failed.
    """

    def __init__(
        self,
        dsn: str,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        try:
            parsed = Dsn(dsn)
        except BadDsn as exc:
            # Ours names no part of the DSN; BadDsn's never quotes the key.
            raise SettingsError("the Sentry DSN is not valid (scheme://KEY@HOST/PROJECT)") from exc
        self.target = redact_dsn(dsn)
        self._policy = policy or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._transport = _CollectingTransport(dsn)
        self._client = sentry_sdk.Client(
            dsn=dsn,
            transport=self._transport,
            default_integrations=False,
            auto_enabling_integrations=False,
            sample_rate=1.0,
            before_send=None,
            send_client_reports=False,  # our transport reports losses to the caller instead
            enable_backpressure_handling=False,  # no monitor thread in a Lambda
            max_value_length=None,  # event.py truncates to Sentry's limits itself
            attach_stacktrace=False,
        )
        # The client fills these from the host when the event lacks them: the
        # Lambda's hostname, a git sha of the working directory, "production".
        # What event.py decided (including "not set") is what Sentry gets.
        for option in ("server_name", "release", "environment", "dist"):
            self._client.options[option] = None
        auth = parsed.to_auth(USER_AGENT)
        self._url = auth.get_api_url(sentry_sdk.consts.EndpointType.ENVELOPE)
        self._auth_header = auth.to_header()
        self._pool = urllib3.PoolManager(
            num_pools=1, maxsize=self._policy.max_workers, retries=False
        )
        self._dropped: list[DeliveryFailure] = []

    def __repr__(self) -> str:
        return f"SentrySink({self.target!r})"

    def send(self, event: Mapping[str, Any]) -> None:
        event_id = _event_id(event)
        # capture_event fills defaults into the dict it gets: give it a copy.
        captured = self._client.capture_event(cast("SdkEvent", dict(event)))
        if captured is None:
            self._dropped.append(DeliveryFailure(event_id, "dropped by sentry-sdk"))

    def flush(self, deadline_s: float) -> DeliveryResult:
        deadline = self._clock() + deadline_s
        envelopes = self._transport.take()
        dropped, self._dropped = tuple(self._dropped), []
        if not envelopes:
            return DeliveryResult(failed=dropped)
        limit = _RateLimit(self._clock)
        workers = max(1, min(self._policy.max_workers, len(envelopes)))
        with ThreadPoolExecutor(workers, thread_name_prefix="logship-send") as pool:
            outcomes = list(pool.map(lambda e: self._deliver(e, deadline, limit), envelopes))
        delivered = tuple(event_id for event_id, reason, _ in outcomes if reason is None)
        failed = dropped + tuple(
            DeliveryFailure(event_id, reason) for event_id, reason, _ in outcomes if reason
        )
        return DeliveryResult(delivered, failed, attempts=sum(n for _, _, n in outcomes))

    def close(self) -> None:
        self._client.close(timeout=0)
        self._pool.clear()

    def _body(self, envelope: Envelope) -> bytes:
        return gzip.compress(envelope.serialize(), compresslevel=6)

    def _deliver(
        self, envelope: Envelope, deadline: float, limit: _RateLimit
    ) -> tuple[str, str | None, int]:
        """Post one envelope until it is accepted or the deadline makes retrying pointless.

        Returns (event id, failure reason or None, attempts made).
        """
        event_id = str(envelope.headers.get("event_id", ""))
        body = self._body(envelope)
        headers = {
            "Content-Type": "application/x-sentry-envelope",
            "Content-Encoding": "gzip",
            "User-Agent": USER_AGENT,
            "X-Sentry-Auth": self._auth_header,
        }
        policy = self._policy
        attempt = 0
        reason = "no attempt made"
        while True:
            wait = limit.wait_s()
            if wait > 0:
                if self._clock() + wait >= deadline:
                    return (
                        event_id,
                        f"rate limited for {wait:.1f}s more, past the deadline",
                        attempt,
                    )
                self._sleep(wait)
            remaining = deadline - self._clock()
            if remaining < _MIN_ATTEMPT_S:
                return event_id, f"deadline reached ({reason})", attempt
            timeout = urllib3.Timeout(
                connect=min(policy.connect_timeout_s, remaining),
                read=min(policy.attempt_timeout_s, remaining),
            )
            attempt += 1
            retry_after: float | None = None
            try:
                response = self._pool.request(
                    "POST", self._url, body=body, headers=headers, timeout=timeout
                )
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                reason = _describe(exc)
            else:
                status = response.status
                limited = parse_rate_limits(response.headers.get("X-Sentry-Rate-Limits"))
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if status == 429:
                    limited = limited or retry_after or policy.default_rate_limit_s
                if limited:
                    limit.limit_for(limited)
                if 200 <= status < 300:
                    return event_id, None, attempt
                reason = f"HTTP {status}"
                if status not in _RETRY_STATUSES:
                    # 400 (invalid event), 401/403 (bad key), 413 (too large): the
                    # same bytes will never be accepted.
                    return event_id, f"{reason}, not retried", attempt
            delay = max(policy.backoff(attempt - 1), retry_after or 0.0)
            if self._clock() + delay >= deadline:
                return event_id, f"{reason} after {attempt} attempt(s)", attempt
            self._sleep(delay)
