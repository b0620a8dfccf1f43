"""Tests for logship.sink: the in-memory sink and the sentry-sdk based sink."""

from __future__ import annotations

import gzip
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from fake_time import FakeTime
from fakesentry import PUBLIC_KEY, Reply, Request, fake_sentry, refused_dsn

from logship.exceptions import SettingsError
from logship.sink import (
    GZIP_MIN_BYTES,
    Endpoint,
    MemorySink,
    RetryPolicy,
    SentrySink,
    parse_rate_limits,
    parse_retry_after,
    redact_dsn,
)

FAST = RetryPolicy(attempt_timeout_s=0.5, connect_timeout_s=0.5, backoff_base_s=0.02)


def event(message: str = "boom", **extra: Any) -> dict[str, Any]:
    """A minimal but valid error event with a fresh id."""
    return {
        "event_id": uuid.uuid4().hex,
        "level": "error",
        "platform": "java",
        "timestamp": 1_700_000_000.0,
        "logentry": {"message": message},
        **extra,
    }


class TestMemorySink:
    def test_flush_reports_every_sent_event_once(self) -> None:
        """Each flush delivers exactly what was sent since the previous one."""
        sink = MemorySink()
        first, second = event(), event()
        sink.send(first)
        assert sink.flush(1).delivered == (first["event_id"],)
        sink.send(second)
        result = sink.flush(1)
        assert result.delivered == (second["event_id"],)
        assert result.ok
        assert [e["event_id"] for e in sink.events] == [first["event_id"], second["event_id"]]
        assert sink.flushes == 2

    def test_event_without_id_is_refused(self) -> None:
        """An event without event_id cannot be tracked, so send refuses it."""
        with pytest.raises(ValueError, match="event_id"):
            MemorySink().send({"level": "error"})


class TestParseRetryAfter:
    def test_seconds(self) -> None:
        """Delta-seconds are read as they are."""
        assert parse_retry_after("7") == 7.0

    def test_http_date(self) -> None:
        """An HTTP date becomes the seconds left until it."""
        now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
        header = format_datetime(now + timedelta(seconds=30), usegmt=True)
        assert parse_retry_after(header, now=now.timestamp()) == pytest.approx(30)

    @pytest.mark.parametrize("value", [None, "", "soon", "Tue, 99 Foo"])
    def test_unreadable_is_none(self, value: str | None) -> None:
        """A missing or unreadable header gives no delay."""
        assert parse_retry_after(value) is None


class TestParseRateLimits:
    def test_error_category(self) -> None:
        """An entry for the error category limits us."""
        assert parse_rate_limits("60:error:organization, 5:transaction:key") == 60

    def test_all_categories(self) -> None:
        """An empty category list limits everything, errors included."""
        assert parse_rate_limits("12::organization") == 12

    def test_other_categories_only(self) -> None:
        """Limits on transactions or attachments do not stop error events."""
        assert parse_rate_limits("60:transaction;attachment:key") is None

    def test_garbage(self) -> None:
        """Malformed entries are skipped, not fatal."""
        assert parse_rate_limits("x:error, nonsense") is None


class TestRedactDsn:
    def test_keys_removed(self) -> None:
        """The public key never appears in the redacted form."""
        redacted = redact_dsn(f"https://{PUBLIC_KEY}@o1.ingest.sentry.io/42")
        assert redacted == "https://***@o1.ingest.sentry.io/42"
        assert PUBLIC_KEY not in redacted

    def test_port_kept(self) -> None:
        """A non-default port is part of where events go, so it stays."""
        assert redact_dsn("http://k@127.0.0.1:8000/1") == "http://***@127.0.0.1:8000/1"

    def test_secret_and_path_prefix(self) -> None:
        """A legacy secret key is removed too; a path prefix stays."""
        dsn = "https://public:s3cret@sentry.example.com/sentry/7"
        assert redact_dsn(dsn) == "https://***@sentry.example.com/sentry/7"


class TestEndpoint:
    def test_as_sentry_sdk_reads_the_dsn(self) -> None:
        """The envelope URL and auth header are those the DSN format defines."""
        endpoint = Endpoint.parse("https://public:s3cret@sentry.example.com:8443/sentry/7")
        assert endpoint.url == "https://sentry.example.com:8443/sentry/api/7/envelope/"
        assert endpoint.auth == (
            "Sentry sentry_key=public, sentry_version=7, sentry_client=logship/0.1,"
            " sentry_secret=s3cret"
        )

    def test_repr_without_the_key(self) -> None:
        """The endpoint's repr shows the URL and the redacted DSN, never the key."""
        endpoint = Endpoint.parse(f"https://{PUBLIC_KEY}:s3cret@o1.ingest.sentry.io/42")
        assert PUBLIC_KEY not in repr(endpoint)
        assert "s3cret" not in repr(endpoint)

    def test_default_port_left_out(self) -> None:
        """The scheme's own port is not written into the URL."""
        endpoint = Endpoint.parse(f"https://{PUBLIC_KEY}@o1.ingest.sentry.io:443/42")
        assert endpoint.url == "https://o1.ingest.sentry.io/api/42/envelope/"


class TestSentrySink:
    def test_delivers_the_event_as_built(self) -> None:
        """The server receives the event exactly as built: nothing added (no server_name,
        release, environment or sdk), nothing changed."""
        with fake_sentry() as server:
            sink = SentrySink(server.dsn, policy=FAST)
            sent = event(tags={"service": "orders"})
            sink.send(sent)
            result = sink.flush(5)
            sink.close()
        assert result.delivered == (sent["event_id"],)
        assert result.attempts == 1
        (received,) = server.events
        assert received == sent
        (request,) = server.requests
        assert request.envelope_headers["event_id"] == sent["event_id"]
        assert (
            request.auth
            == f"Sentry sentry_key={PUBLIC_KEY}, sentry_version=7, sentry_client=logship/0.1"
        )

    def test_many_events_each_delivered_once(self) -> None:
        """Concurrent sending delivers every event exactly once."""
        with fake_sentry() as server:
            sink = SentrySink(server.dsn, policy=FAST)
            sent = [event(f"error {i}") for i in range(40)]
            for item in sent:
                sink.send(item)
            result = sink.flush(10)
        assert sorted(result.delivered) == sorted(e["event_id"] for e in sent)
        assert sorted(e["event_id"] for e in server.events) == sorted(result.delivered)

    def test_retries_5xx(self) -> None:
        """A 500 then a 502 are retried until the server accepts."""

        def flaky(request: Request) -> Reply:
            return Reply(500 if request.number == 1 else 502 if request.number == 2 else 200)

        with fake_sentry(flaky) as server:
            sink = SentrySink(server.dsn, policy=FAST)
            sent = event()
            sink.send(sent)
            result = sink.flush(5)
        assert result.delivered == (sent["event_id"],)
        assert result.attempts == 3
        assert len(server.events) == 1

    def test_honours_retry_after(self) -> None:
        """After a 429 with Retry-After: 1 the next attempt waits that second."""

        def limited_once(request: Request) -> Reply:
            if request.number == 1:
                return Reply(429, (("Retry-After", "1"),))
            return Reply()

        fake = FakeTime()
        with fake_sentry(limited_once) as server:
            sink = SentrySink(server.dsn, policy=FAST, clock=fake.clock, sleep=fake.sleep)
            sent = event()
            sink.send(sent)
            result = sink.flush(5)
        assert result.delivered == (sent["event_id"],)
        assert fake.slept == [1.0]
        assert len(server.events) == 1

    def test_honours_sentry_rate_limits_header(self) -> None:
        """X-Sentry-Rate-Limits on a 429 sets the wait, Retry-After absent."""

        def limited_once(request: Request) -> Reply:
            if request.number == 1:
                return Reply(429, (("X-Sentry-Rate-Limits", "1:error:key"),))
            return Reply()

        fake = FakeTime()
        with fake_sentry(limited_once) as server:
            sink = SentrySink(server.dsn, policy=FAST, clock=fake.clock, sleep=fake.sleep)
            sink.send(event())
            result = sink.flush(5)
        assert result.ok
        assert result.attempts == 2
        # A backoff, then the rest of the limited second.
        assert fake.total == pytest.approx(1.0)

    def test_rate_limit_past_deadline_fails_fast(self) -> None:
        """A Retry-After longer than the time left fails at once instead of sleeping."""
        fake = FakeTime()
        with fake_sentry(lambda _: Reply(429, (("Retry-After", "60"),))) as server:
            sink = SentrySink(server.dsn, policy=FAST, clock=fake.clock, sleep=fake.sleep)
            sent = [event(), event(), event()]
            for item in sent:
                sink.send(item)
            result = sink.flush(3)
        assert result.delivered == ()
        assert result.failed_ids == {e["event_id"] for e in sent}
        assert fake.slept == []
        assert all("rate limited" in f.reason or "429" in f.reason for f in result.failed)
        # One worker learns of the limit; the others stop asking once they know.
        assert len(server.requests) <= 3

    def test_client_errors_not_retried(self) -> None:
        """A 400 (an invalid event) is final: one attempt, reported failed."""
        with fake_sentry(lambda _: Reply(400)) as server:
            sink = SentrySink(server.dsn, policy=FAST)
            sent = event()
            sink.send(sent)
            result = sink.flush(5)
        assert [(f.event_id, f.reason) for f in result.failed] == [
            (sent["event_id"], "HTTP 400, not retried")
        ]
        assert len(server.requests) == 1

    def test_hanging_server_fails_within_deadline(self) -> None:
        """A server slower than the deadline costs the deadline, not more: the attempt's
        timeout is cut to the time left (its own 30 s would have seen the answer)."""
        patient = RetryPolicy(attempt_timeout_s=30, connect_timeout_s=0.5, backoff_base_s=0.02)
        fake = FakeTime(follow_real_time=True)
        with fake_sentry(lambda _: Reply(delay_s=3)) as server:
            sink = SentrySink(server.dsn, policy=patient, clock=fake.clock, sleep=fake.sleep)
            sink.send(event())
            result = sink.flush(1.2)
        assert not result.ok
        assert "timed out" in result.failed[0].reason
        assert result.attempts == 1

    def test_refused_connection_retried_until_deadline(self) -> None:
        """A refused port is retried with backoff and then reported, without the DSN."""
        dsn = refused_dsn()
        fake = FakeTime()
        sink = SentrySink(dsn, policy=FAST, clock=fake.clock, sleep=fake.sleep)
        sent = event()
        sink.send(sent)
        result = sink.flush(0.5)
        assert fake.total <= 0.5  # backoff, never past the deadline
        (failure,) = result.failed
        assert failure.event_id == sent["event_id"]
        assert "connection" in failure.reason
        assert result.attempts > 1
        assert PUBLIC_KEY not in failure.reason
        assert PUBLIC_KEY not in repr(sink)

    def test_invalid_dsn_not_quoted(self) -> None:
        """A malformed DSN is rejected without echoing it."""
        for dsn in ("ftp://secretkey@host/1", "https://secretkey@host/", "https://host/1", "x"):
            with pytest.raises(SettingsError) as info:
                SentrySink(dsn)
            assert "secretkey" not in str(info.value)
            assert redact_dsn(dsn) == "<invalid DSN>"

    def test_flush_without_events(self) -> None:
        """Flushing an idle sink makes no request."""
        with fake_sentry() as server:
            result = SentrySink(server.dsn).flush(1)
        assert result.delivered == ()
        assert result.ok
        assert server.requests == []


@dataclass
class Wire:
    """What a keep-alive HTTP/1.1 server saw: (connection number, head, body) per request."""

    port: int
    requests: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    connections: int = 0

    @property
    def dsn(self) -> str:
        return f"http://{PUBLIC_KEY}@127.0.0.1:{self.port}/1"


def _serve_connection(wire: Wire, conn: socket.socket, number: int) -> None:
    buffer = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in buffer:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
            length = int(headers.get("content-length", "0"))
            while len(buffer) < length:
                buffer += conn.recv(65536)
            body, buffer = buffer[:length], buffer[length:]
            wire.requests.append((number, headers, body))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")


@contextmanager
def raw_server() -> Iterator[Wire]:
    """An HTTP/1.1 server on 127.0.0.1 that keeps connections open and records raw requests."""
    listener = socket.create_server(("127.0.0.1", 0))
    wire = Wire(port=listener.getsockname()[1])

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            wire.connections += 1
            threading.Thread(
                target=_serve_connection, args=(wire, conn, wire.connections), daemon=True
            ).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield wire
    finally:
        listener.close()


def _send_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("logship-send")]


class TestSentrySinkConnections:
    def test_connections_kept_alive_across_flushes(self) -> None:
        """Three flushes of ten events reuse at most max_workers connections."""
        policy = RetryPolicy(max_workers=3)
        with raw_server() as wire:
            sink = SentrySink(wire.dsn, policy=policy)
            for _ in range(3):
                sent = [event() for _ in range(10)]
                for item in sent:
                    sink.send(item)
                assert sink.flush(5).delivered == tuple(e["event_id"] for e in sent)
            sink.close()
        assert len(wire.requests) == 30
        assert wire.connections <= policy.max_workers

    def test_small_envelopes_plain_large_ones_gzipped(self) -> None:
        """Below GZIP_MIN_BYTES the envelope goes as it is; from there on gzipped."""
        small = event("short")
        large = event("long", extra={"raw_log": "x" * GZIP_MIN_BYTES})
        with raw_server() as wire:
            sink = SentrySink(wire.dsn, policy=FAST)
            sink.send(small)
            sink.send(large)
            assert sink.flush(5).ok
            sink.close()
        by_id = {}
        for _, headers, body in wire.requests:
            encoding = headers.get("content-encoding")
            envelope = gzip.decompress(body) if encoding == "gzip" else body
            by_id[envelope.split(b"\n", 1)[0]] = (encoding, envelope)
        assert {encoding for encoding, _ in by_id.values()} == {"gzip", None}
        for encoding, envelope in by_id.values():
            assert (encoding == "gzip") == (len(envelope) >= GZIP_MIN_BYTES)

    def test_workers_started_once_and_stopped_on_close(self) -> None:
        """The helper threads survive between flushes and end with close()."""
        before = set(_send_threads())
        started: set[threading.Thread] = set()
        with fake_sentry() as server:
            sink = SentrySink(server.dsn, policy=RetryPolicy(max_workers=3))
            for _ in range(3):
                for _ in range(6):
                    sink.send(event())
                assert sink.flush(5).ok
                started |= set(_send_threads()) - before
                assert len(started) <= 2  # the caller is the third worker
            sink.close()
        assert started
        assert not any(thread.is_alive() for thread in started)

    def test_results_in_send_order(self) -> None:
        """Delivered ids come back in the order the events were sent, whichever worker sent them."""
        with fake_sentry(lambda r: Reply(delay_s=0.02 if r.number % 3 == 0 else 0)) as server:
            sink = SentrySink(server.dsn, policy=FAST)
            sent = [event() for _ in range(12)]
            for item in sent:
                sink.send(item)
            result = sink.flush(5)
        assert result.delivered == tuple(e["event_id"] for e in sent)

    def test_redirect_not_followed(self) -> None:
        """A 302 is final like any other 3xx: the envelope is not posted elsewhere."""
        moved = Reply(302, (("Location", "http://127.0.0.1:9/api/1/envelope/"),))
        with fake_sentry(lambda _: moved) as server:
            sink = SentrySink(server.dsn, policy=FAST)
            sent = event()
            sink.send(sent)
            result = sink.flush(5)
        assert [(f.event_id, f.reason) for f in result.failed] == [
            (sent["event_id"], "HTTP 302, not retried")
        ]
        assert len(server.requests) == 1
