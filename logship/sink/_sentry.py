"""The Sentry sink: each event in its own envelope, posted with retries until a deadline.

``send`` wraps the event exactly as :func:`~logship.event.build_event` returned
it (already truncated, scrubbed and final) in an envelope built with
sentry-sdk's public :class:`~sentry_sdk.envelope.Envelope`, and serializes it
at once: later changes to the caller's dict never reach the wire. Nothing is
added to the event, so the JSON Sentry stores is the JSON logship built.

``flush`` posts the envelopes itself rather than through sentry-sdk's
``HttpTransport``: that transport sends from a background queue, drops an
envelope on the first 429, 5xx or network error, and tells no caller which
event it lost, while the Lambda must know, per event, whether to fail the
invocation or hand a Kinesis record back. So the sink keeps its own loop:
kept-alive connections, up to ``max_workers`` requests at a time, retries with
backoff, ``Retry-After`` and ``X-Sentry-Rate-Limits`` honoured, all within the
flush's deadline.

The DSN is a credential: it never appears in a reason, a repr or a log line.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import urllib3
from sentry_sdk.envelope import Envelope, Item, PayloadRef

from logship.exceptions import SettingsError
from logship.records import DeliveryFailure, DeliveryResult

from ._base import Sink, event_id_of
from ._retry import RETRY_STATUSES, RateLimit, RetryPolicy, parse_rate_limits, parse_retry_after

USER_AGENT = "logship/0.1"
_MIN_ATTEMPT_S = 0.05  # below this a request cannot complete; give up instead
# Smaller envelopes go uncompressed (Sentry accepts both). They fit in the first
# flight of a new TCP connection (10 segments, RFC 6928) either way, so gzip
# would save no round trip; it would only cost CPU at both ends.
GZIP_MIN_BYTES = 12 * 1024


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a DSN's envelopes go and how they authenticate.

    Read as https://develop.sentry.dev/sdk/overview/ describes a DSN:
    ``{scheme}://{public_key}[:{secret_key}]@{host}[:{port}]{path}/{project_id}``.
    """

    url: str  # {scheme}://{host}[:{port}]{path}/api/{project_id}/envelope/
    redacted: str  # the DSN without its keys, for messages
    auth: str = field(repr=False)  # the X-Sentry-Auth header: it holds the key

    @classmethod
    def parse(cls, dsn: str) -> Endpoint:
        """The endpoint of ``dsn``; a ValueError (that never quotes it) if it is not one."""
        try:
            parts = urlsplit(dsn.strip())
            port = parts.port
        except ValueError as exc:
            raise ValueError("not a URL") from exc
        if parts.scheme not in ("http", "https"):
            raise ValueError("the scheme is not http or https")
        if not parts.hostname:
            raise ValueError("no host")
        if not parts.username:
            raise ValueError("no public key")
        prefix, _, project = parts.path.rpartition("/")
        if not (project.isascii() and project.isdigit()):
            raise ValueError("no numeric project id at the end of the path")
        default_port = 443 if parts.scheme == "https" else 80
        netloc = parts.hostname if port in (None, default_port) else f"{parts.hostname}:{port}"
        base = f"{parts.scheme}://{netloc}{prefix}/"
        auth = f"Sentry sentry_key={parts.username}, sentry_version=7, sentry_client={USER_AGENT}"
        if parts.password is not None:
            auth += f", sentry_secret={parts.password}"
        return cls(
            url=f"{base}api/{int(project)}/envelope/",
            auth=auth,
            redacted=f"{parts.scheme}://***@{netloc}{prefix}/{project}",
        )


def redact_dsn(dsn: str) -> str:
    """The DSN without its keys, for messages: ``https://***@o1.ingest.sentry.io/42``."""
    try:
        return Endpoint.parse(dsn).redacted
    except ValueError:
        return "<invalid DSN>"


def envelope_bytes(event: Mapping[str, Any], *, sent_at: datetime) -> bytes:
    """``event`` in an envelope of its own, serialized (compact JSON, UTF-8).

    TypeError or ValueError if ``event`` is not JSON (NaN and infinities included).
    """
    envelope = Envelope(
        headers={
            "event_id": event_id_of(event),
            "sent_at": sent_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
    )
    envelope.add_item(Item(payload=PayloadRef(json=event), type="event"))
    return envelope.serialize()


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


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What posting one envelope came to."""

    event_id: str
    reason: str | None  # None: delivered
    attempts: int


class SentrySink(Sink):
    """Sends events to one Sentry DSN, one envelope per event.

    ``flush`` posts the envelopes, up to ``max_workers`` at a time on
    kept-alive connections, retrying 429 (honouring ``Retry-After`` and
    ``X-Sentry-Rate-Limits``), 408/5xx, timeouts and refused connections with
    backoff until the deadline, and reports each event id as delivered or
    failed. ``clock`` and ``sleep`` measure and spend that time (tests pass
    their own); ``now`` dates the envelopes' ``sent_at``.
    """

    def __init__(
        self,
        dsn: str,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        try:
            endpoint = Endpoint.parse(dsn)
        except ValueError as exc:
            raise SettingsError(
                f"the Sentry DSN is not valid (scheme://KEY@HOST/PROJECT): {exc}"
            ) from exc
        self.target = endpoint.redacted
        self._policy = policy or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self._headers = {
            "Content-Type": "application/x-sentry-envelope",
            "User-Agent": USER_AGENT,
            "X-Sentry-Auth": endpoint.auth,
        }
        self._pools = urllib3.PoolManager(
            num_pools=1, maxsize=self._policy.max_workers, retries=False
        )
        # The pool PoolManager.request would pick, looked up once; requests go to
        # it as PoolManager.urlopen sends them (path only, redirects not followed).
        self._pool = self._pools.connection_from_url(endpoint.url)
        self._path = urllib3.util.parse_url(endpoint.url).request_uri
        self._workers: ThreadPoolExecutor | None = None  # started on the first flush
        self._queued: list[tuple[str, bytes]] = []  # (event id, envelope)
        self._refused: list[DeliveryFailure] = []

    def __repr__(self) -> str:
        return f"SentrySink({self.target!r})"

    def send(self, event: Mapping[str, Any]) -> None:
        event_id = event_id_of(event)
        try:
            body = envelope_bytes(event, sent_at=self._now())
        except (TypeError, ValueError) as exc:
            # build_event makes plain JSON; anything else is one failed event, not a crash.
            self._refused.append(DeliveryFailure(event_id, f"not sent, not JSON: {exc}"))
            return
        self._queued.append((event_id, body))

    def flush(self, deadline_s: float) -> DeliveryResult:
        deadline = self._clock() + deadline_s
        queued, self._queued = self._queued, []
        refused, self._refused = tuple(self._refused), []
        if not queued:
            return DeliveryResult(failed=refused)
        outcomes = self._deliver_all(queued, deadline, RateLimit(self._clock))
        delivered = tuple(o.event_id for o in outcomes if o.reason is None)
        failed = refused + tuple(
            DeliveryFailure(o.event_id, o.reason) for o in outcomes if o.reason
        )
        return DeliveryResult(delivered, failed, attempts=sum(o.attempts for o in outcomes))

    def close(self) -> None:
        if self._workers is not None:
            self._workers.shutdown(wait=True)
            self._workers = None
        self._pools.clear()

    def _deliver_all(
        self, queued: list[tuple[str, bytes]], deadline: float, limit: RateLimit
    ) -> list[_Outcome]:
        """:meth:`_deliver` on every envelope, up to ``max_workers`` at a time, in order.

        The calling thread is one of the workers and the others take envelopes
        from the same queue: one hand-off per worker, not per envelope. The
        helper threads are started once and kept; starting them on every flush
        cost more than the requests to a nearby server.
        """
        outcomes: list[_Outcome] = [_Outcome("", None, 0)] * len(queued)
        jobs = iter(list(enumerate(queued)))
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    job = next(jobs, None)
                if job is None:
                    return
                index, (event_id, body) = job
                outcomes[index] = self._deliver(event_id, body, deadline, limit)

        helpers = min(self._policy.max_workers, len(queued)) - 1
        if helpers > 0 and self._workers is None:
            self._workers = ThreadPoolExecutor(
                self._policy.max_workers - 1, thread_name_prefix="logship-send"
            )
        started = [self._workers.submit(work) for _ in range(helpers)] if self._workers else []
        try:
            work()
        finally:
            for future in started:
                future.result()
        return outcomes

    def _request(self, body: bytes) -> tuple[bytes, dict[str, str]]:
        """The body and headers that post an envelope: gzip from GZIP_MIN_BYTES up."""
        if len(body) < GZIP_MIN_BYTES:
            return body, self._headers
        return gzip.compress(body, compresslevel=6), {**self._headers, "Content-Encoding": "gzip"}

    def _deliver(
        self, event_id: str, envelope: bytes, deadline: float, limit: RateLimit
    ) -> _Outcome:
        """Post one envelope until it is accepted or the deadline makes retrying pointless."""
        body, headers = self._request(envelope)
        policy = self._policy
        attempt = 0
        reason = "no attempt made"
        while True:
            wait = limit.wait_s()
            if wait > 0:
                if self._clock() + wait >= deadline:
                    why = f"rate limited for {wait:.1f}s more, past the deadline"
                    return _Outcome(event_id, why, attempt)
                self._sleep(wait)
            remaining = deadline - self._clock()
            if remaining < _MIN_ATTEMPT_S:
                return _Outcome(event_id, f"deadline reached ({reason})", attempt)
            timeout = urllib3.Timeout(
                connect=min(policy.connect_timeout_s, remaining),
                read=min(policy.attempt_timeout_s, remaining),
            )
            attempt += 1
            retry_after: float | None = None
            try:
                response = self._pool.urlopen(
                    "POST",
                    self._path,
                    body=body,
                    headers=headers,
                    timeout=timeout,
                    redirect=False,
                    assert_same_host=False,
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
                    return _Outcome(event_id, None, attempt)
                reason = f"HTTP {status}"
                if status not in RETRY_STATUSES:
                    # 400 (invalid event), 401/403 (bad key), 413 (too large): the
                    # same bytes will never be accepted.
                    return _Outcome(event_id, f"{reason}, not retried", attempt)
            delay = max(policy.backoff(attempt - 1), retry_after or 0.0)
            if self._clock() + delay >= deadline:
                return _Outcome(event_id, f"{reason} after {attempt} attempt(s)", attempt)
            self._sleep(delay)
