"""Where built Sentry events go: the last stage of the pipeline.

A :class:`Sink` takes events one at a time with :meth:`Sink.send` and delivers
them on :meth:`Sink.flush`, which reports exactly which event ids got through
and which did not. Two sinks exist:

- :class:`MemorySink` keeps events in a list: dry runs and tests.
- :class:`SentrySink` sends them to one DSN through sentry-sdk. Each sink owns
  its own ``sentry_sdk.Client`` (never ``sentry_sdk.init``: library code leaves
  the global hub alone), which gives the auth header and, for events its
  processing would change, the envelope. Events as logship builds them (plain
  JSON, already truncated and scrubbed) skip the client's per-event work, which
  would change nothing but cost more than the rest of the sending:
  :class:`DirectEnvelopes` builds the same envelope with sentry-sdk's
  ``Envelope``. ``flush`` posts the envelopes over kept-alive connections with
  its own retry loop, because sentry-sdk's background transport drops an event
  on the first 429/5xx/network error and cannot tell the caller which one it
  lost.

The DSN is a credential: it never appears in a reason, a repr or a log line.
"""

from __future__ import annotations

import gzip
import math
import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, cast

import sentry_sdk
import sentry_sdk.client
import sentry_sdk.serializer
import urllib3
from sentry_sdk.envelope import Envelope
from sentry_sdk.scrubber import EventScrubber
from sentry_sdk.transport import Transport
from sentry_sdk.utils import BadDsn, Dsn, format_timestamp

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
# Smaller envelopes go uncompressed (Sentry accepts both). They fit in the first
# flight of a new TCP connection (10 segments, RFC 6928) either way, so gzip
# would save no round trip; it would only cost CPU at both ends.
GZIP_MIN_BYTES = 12 * 1024


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


# --------------------------------------------------------------------------- envelopes
#
# For an error event with no scope, hint or before_send (SentrySink passes none),
# sentry_sdk.Client.capture_event(event) (sentry-sdk 2.x):
#   1. fills defaults: timestamp (now), release / environment / server_name /
#      dist (from options), sdk, platform ("python");
#   2. marks frames without ``in_app`` by their path (site-packages, the cwd);
#   3. runs its EventScrubber over request headers/cookies/data, extra, user,
#      breadcrumbs, frame vars and spans: denylisted keys become "[Filtered]";
#   4. serializes: trims databags (extra, breadcrumbs, request.data: 10 items
#      per level, 5 levels), reprs what is not JSON, stringifies keys, marks
#      cycles, and records every change in ``_meta``;
#   5. pops transaction-only parts (profile, dynamic sampling context) and wraps
#      the event in an envelope with ``event_id`` and ``sent_at`` headers.
# On an event that is plain JSON and has none of the parts steps 2 to 5 rewrite,
# those steps change nothing. DirectEnvelopes checks exactly that and then does
# step 1 and the wrapping itself; any other event goes through capture_event.
# tests/test_sink.py holds the two paths byte for byte equal.

# Top-level keys capture_event pops or rewrites (transactions, profiles, the user,
# breadcrumb databags, spans, in_app of stacktraces other than the exceptions').
_SDK_REWRITTEN_KEYS = frozenset(
    {
        "type",
        "profile",
        "_has_gen_ai_span",
        "_dropped_spans",
        "user",
        "breadcrumbs",
        "spans",
        "threads",
        "stacktrace",
    }
)
_DEFAULT_KEYS = ("release", "environment", "server_name", "dist")  # filled from options
_MAX_PLAIN_DEPTH = 32  # deeper (or cyclic) events take the SDK's path
# sentry_sdk.serializer's databag limits (MAX_DATABAG_BREADTH / _DEPTH).
_DATABAG_BREADTH = sentry_sdk.serializer.MAX_DATABAG_BREADTH
_DATABAG_DEPTH = sentry_sdk.serializer.MAX_DATABAG_DEPTH


def _plain_json(value: object, depth: int = 0) -> bool:
    """True if sentry-sdk's serializer would return ``value`` unchanged.

    It returns dicts with ``str`` keys, lists, strings, ints, bools, None and
    finite floats as they are (tuples become lists, as ``json.dumps`` makes
    them too); it rewrites anything else. Exact types only: a subclass may
    carry a ``__sentry_repr__`` or a ``__str__`` the serializer would use.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(cast(float, value))
    if depth >= _MAX_PLAIN_DEPTH:
        return False
    if kind is dict:
        for key, item in cast(dict[object, object], value).items():
            if type(key) is not str or not _plain_json(item, depth + 1):
                return False
        return True
    if kind is list or kind is tuple:
        return all(_plain_json(item, depth + 1) for item in cast(list[object], value))
    return False


def _fits_databag(value: object, depth: int = _DATABAG_DEPTH) -> bool:
    """True if the serializer would not trim the databag ``value`` (a plain JSON value)."""
    if depth <= 0:
        return False
    if isinstance(value, dict):
        return len(value) <= _DATABAG_BREADTH and all(
            _fits_databag(item, depth - 1) for item in value.values()
        )
    if isinstance(value, list | tuple):
        return len(value) <= _DATABAG_BREADTH and all(
            _fits_databag(item, depth - 1) for item in value
        )
    return True


def _frames_untouched(exception: object) -> bool:
    """True if handle_in_app and the scrubber leave the frames of ``exception`` alone.

    Its frames must all carry ``in_app`` and no ``vars``; shapes the SDK would
    trip over are not untouched either.
    """
    if not isinstance(exception, dict):
        return False
    values = exception.get("values") or ()
    if not isinstance(values, list | tuple):
        return False
    for value in values:
        if not isinstance(value, dict) or "stacktrace" not in value:
            continue  # the SDK skips these too
        stacktrace = value["stacktrace"]
        if not isinstance(stacktrace, dict):
            return False
        frames = stacktrace.get("frames") or ()
        if not isinstance(frames, list | tuple):
            return False
        for frame in frames:
            if not isinstance(frame, dict) or frame.get("in_app") is None or "vars" in frame:
                return False
    return True


def _no_denied_keys(value: object, denylist: frozenset[str]) -> bool:
    """True if the scrubber finds no key to filter at the top of ``value``."""
    return not isinstance(value, dict) or not any(key.lower() in denylist for key in value)


class DirectEnvelopes:
    """Builds capture_event's envelope for plain events, without its per-event machinery.

    ``supported`` is False when the client is configured in a way the shortcut
    does not reproduce (a before_send, sampling, another scrubber, Spotlight);
    then :meth:`envelope` always answers None.
    """

    def __init__(self, client: sentry_sdk.Client) -> None:
        self._client = client
        options = client.options
        scrubber = options.get("event_scrubber")
        self.supported = (
            options.get("before_send") is None
            and options.get("sample_rate") == 1.0
            and options.get("error_sampler") is None
            and not options.get("attach_stacktrace")
            and options.get("max_value_length") is None
            and type(scrubber) is EventScrubber
            and not scrubber.recursive
            and getattr(client, "spotlight", None) is None
            and client.transport is not None
        )
        self._denylist = frozenset(scrubber.denylist) if type(scrubber) is EventScrubber else None

    def envelope(self, event: Mapping[str, Any]) -> Envelope | None:
        """The envelope capture_event would make of ``event``; None if it would do more."""
        if not self._untouched(event):
            return None
        payload = dict(event)
        # _prepare_event's defaults, in its order (the order keys appear in the JSON).
        if payload.get("timestamp") is None:
            payload["timestamp"] = format_timestamp(datetime.now(UTC))
        options = self._client.options
        for key in _DEFAULT_KEYS:
            if payload.get(key) is None and options[key] is not None:
                payload[key] = str(options[key]).strip()
        if payload.get("sdk") is None:
            sdk = dict(sentry_sdk.client.SDK_INFO)  # read now: other clients may rename it
            sdk["integrations"] = sorted(self._client.integrations.keys())
            payload["sdk"] = sdk
        if payload.get("platform") is None:
            payload["platform"] = "python"
        sent_at = format_timestamp(datetime.now(UTC))
        envelope = Envelope(headers={"event_id": payload["event_id"], "sent_at": sent_at})
        envelope.add_event(cast("SdkEvent", payload))
        # Serialized now, as capture_event's copy would be: later changes to the
        # caller's nested dicts must not reach the wire.
        envelope.items[0].get_bytes()
        return envelope

    def _untouched(self, event: Mapping[str, Any]) -> bool:
        """True if steps 2 to 5 of capture_event would leave ``event`` as it is."""
        denylist = self._denylist
        if not self.supported or denylist is None or sentry_sdk.serializer.global_repr_processors:
            return False
        if type(event) is not dict or not _plain_json(event):
            return False
        if not _SDK_REWRITTEN_KEYS.isdisjoint(event):
            return False
        extra = event.get("extra")
        if extra is not None and not (_fits_databag(extra) and _no_denied_keys(extra, denylist)):
            return False
        request = event.get("request")
        if request is not None and not (
            isinstance(request, dict)
            and "data" not in request
            and _no_denied_keys(request.get("headers"), denylist)
            and _no_denied_keys(request.get("cookies"), denylist)
        ):
            return False
        contexts = event.get("contexts", {})
        if not isinstance(contexts, dict):
            return False
        trace = contexts.get("trace")
        if trace and not (isinstance(trace, dict) and "dynamic_sampling_context" not in trace):
            return False
        return "exception" not in event or _frames_untouched(event["exception"])


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


def sdk_client(dsn: str, transport: Transport) -> sentry_sdk.Client:
    """The private client a :class:`SentrySink` wraps events with, sending to ``transport``."""
    client = sentry_sdk.Client(
        dsn=dsn,
        transport=transport,
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
    for option in _DEFAULT_KEYS:
        client.options[option] = None
    return client


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

    ``send`` wraps the event in the envelope the client would make of it (our
    ``event_id`` kept, no ``server_name``, no sampling, no integrations, no
    ``before_send``): built directly for a plain event, by the client for any
    other. ``flush`` posts the envelopes, up to ``max_workers`` at a time on
    kept-alive connections, retrying 429 (honouring ``Retry-After`` and
    ``X-Sentry-Rate-Limits``), 408/5xx, timeouts and refused connections with
    backoff until the deadline, and reports each event id as delivered or failed.
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
        self._client = sdk_client(dsn, self._transport)
        self._direct = DirectEnvelopes(self._client)
        auth = parsed.to_auth(USER_AGENT)
        url = auth.get_api_url(sentry_sdk.consts.EndpointType.ENVELOPE)
        self._headers = {
            "Content-Type": "application/x-sentry-envelope",
            "User-Agent": USER_AGENT,
            "X-Sentry-Auth": auth.to_header(),
        }
        self._pools = urllib3.PoolManager(
            num_pools=1, maxsize=self._policy.max_workers, retries=False
        )
        # The pool PoolManager.request would pick, looked up once; requests go to
        # it as PoolManager.urlopen sends them (path only, redirects not followed).
        self._pool = self._pools.connection_from_url(url)
        self._path = urllib3.util.parse_url(url).request_uri
        self._workers: ThreadPoolExecutor | None = None  # started on the first flush
        self._dropped: list[DeliveryFailure] = []

    def __repr__(self) -> str:
        return f"SentrySink({self.target!r})"

    def send(self, event: Mapping[str, Any]) -> None:
        event_id = _event_id(event)
        envelope = self._direct.envelope(event)
        if envelope is not None:
            self._transport.capture_envelope(envelope)
            return
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
        outcomes = self._deliver_all(envelopes, deadline, _RateLimit(self._clock))
        delivered = tuple(event_id for event_id, reason, _ in outcomes if reason is None)
        failed = dropped + tuple(
            DeliveryFailure(event_id, reason) for event_id, reason, _ in outcomes if reason
        )
        return DeliveryResult(delivered, failed, attempts=sum(n for _, _, n in outcomes))

    def close(self) -> None:
        if self._workers is not None:
            self._workers.shutdown(wait=True)
            self._workers = None
        self._client.close(timeout=0)
        self._pools.clear()

    def _deliver_all(
        self, envelopes: list[Envelope], deadline: float, limit: _RateLimit
    ) -> list[tuple[str, str | None, int]]:
        """:meth:`_deliver` on every envelope, up to ``max_workers`` at a time, in order.

        The calling thread is one of the workers and the others take envelopes
        from the same queue: one hand-off per worker, not per envelope. The
        helper threads are started once and kept; starting them on every flush
        cost more than the requests to a nearby server.
        """
        outcomes: list[tuple[str, str | None, int]] = [("", None, 0)] * len(envelopes)
        queue = iter(list(enumerate(envelopes)))
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    job = next(queue, None)
                if job is None:
                    return
                index, envelope = job
                outcomes[index] = self._deliver(envelope, deadline, limit)

        helpers = min(self._policy.max_workers, len(envelopes)) - 1
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

    def _request(self, envelope: Envelope) -> tuple[bytes, dict[str, str]]:
        """The body and headers that post ``envelope``: gzip from GZIP_MIN_BYTES up."""
        body = envelope.serialize()
        if len(body) < GZIP_MIN_BYTES:
            return body, self._headers
        return gzip.compress(body, compresslevel=6), {**self._headers, "Content-Encoding": "gzip"}

    def _deliver(
        self, envelope: Envelope, deadline: float, limit: _RateLimit
    ) -> tuple[str, str | None, int]:
        """Post one envelope until it is accepted or the deadline makes retrying pointless.

        Returns (event id, failure reason or None, attempts made).
        """
        event_id = str(envelope.headers.get("event_id", ""))
        body, headers = self._request(envelope)
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
