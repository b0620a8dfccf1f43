"""Fault tests: the handler against a Sentry endpoint that rate-limits, errors, hangs or refuses.

Whatever the fault, the run's counts add up, failures surface to AWS (a raised
DeliveryError or batchItemFailures), and after AWS retries nothing is lost and
no event id is accepted twice. The sink sleeps on a :class:`~fakesentry.FakeTime`:
tests check what it chose to wait, not how long the run took.
"""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

import pytest
from fake_time import FakeTime
from fakesentry import FakeSentry, Reply, Request, fake_sentry, refused_dsn
from lambda_payloads import (
    DISTINCT_TRACES,
    REGION,
    FakeContext,
    cloudwatch_event,
    kinesis_event,
    sequence_number,
    summary_line,
    traces_payloads,
)

from logship.aws_lambda import handle, make_logger
from logship.config import Config
from logship.event import EventSettings
from logship.exceptions import DeliveryError
from logship.settings import Settings
from logship.sink import RetryPolicy, SentrySink

SETTINGS = Settings(dsn="", region=REGION, flush_margin_ms=500)
QUICK = RetryPolicy(attempt_timeout_s=1.0, connect_timeout_s=0.5, backoff_base_s=0.05)


def invoke(
    event: dict[str, Any], dsn: str, *, remaining_ms: int = 10_000
) -> tuple[dict[str, Any] | DeliveryError, dict[str, Any], FakeTime]:
    """One invocation with a fresh sink: (response or raised error, summary, the sink's time).

    The sink's clock follows real time (a hanging server costs its timeouts) plus
    the sleeps it asked for, which cost nothing.
    """
    out = io.StringIO()
    fake = FakeTime(follow_real_time=True)
    sink = SentrySink(dsn, policy=QUICK, clock=fake.clock, sleep=fake.sleep)
    try:
        response: dict[str, Any] | DeliveryError = handle(
            event,
            FakeContext(remaining_ms),
            settings=SETTINGS,
            config=Config(),
            event_settings=EventSettings(),
            sink=sink,
            log=make_logger(out),
        )
    except DeliveryError as exc:
        response = exc
    finally:
        sink.close()
    return response, summary_line(out), fake


def assert_adds_up(summary: dict[str, Any]) -> None:
    assert summary["errors"] == (
        summary["shipped"] + summary["ignored"] + summary["suppressed"] + summary["failed"]
    )
    assert summary["events_received"] == (
        summary["events_invalid"] + summary["events_not_errors"] + summary["events_in_errors"]
    )


def accepted_once(server: FakeSentry) -> Counter[str]:
    return Counter(e["event_id"] for e in server.events)


class TestRateLimited:
    def test_retry_after_then_accepted(self) -> None:
        """The first request of each event gets 429 Retry-After: 1; all get through in time."""
        seen: set[str] = set()

        def limit_first(request: Request) -> Reply:
            if request.event_id not in seen:
                seen.add(request.event_id)
                return Reply(429, (("Retry-After", "1"),))
            return Reply()

        with fake_sentry(limit_first) as server:
            response, summary, waits = invoke(kinesis_event(traces_payloads()), server.dsn)
        assert response == {"batchItemFailures": []}
        assert summary["shipped"] == len(DISTINCT_TRACES)
        assert 1.0 in waits.slept  # Retry-After honoured as asked
        assert set(accepted_once(server).values()) == {1}
        assert_adds_up(summary)

    def test_limit_beyond_deadline_reports_every_record(self) -> None:
        """Retry-After longer than the invocation has left: fail fast, every record retried."""
        with fake_sentry(lambda _: Reply(429, (("Retry-After", "120"),))) as server:
            response, summary, waits = invoke(kinesis_event(traces_payloads()), server.dsn)
        assert response == {
            "batchItemFailures": [
                {"itemIdentifier": sequence_number(i)} for i in range(len(DISTINCT_TRACES))
            ]
        }
        assert summary["failed"] == len(DISTINCT_TRACES)
        assert waits.slept == []  # no waiting for a limit that outlasts the invocation
        assert server.events == []
        assert_adds_up(summary)


class TestServerErrors:
    def test_500_fails_invocation_then_retry_delivers_once(self) -> None:
        """While the server answers 500 the invocation raises; AWS's retry delivers each
        event exactly once."""
        healthy = False

        def script(_: Request) -> Reply:
            return Reply() if healthy else Reply(500)

        event = cloudwatch_event(traces_payloads()[0])
        with fake_sentry(script) as server:
            response, summary, waits = invoke(event, server.dsn, remaining_ms=3_000)
            assert isinstance(response, DeliveryError)
            assert summary["failed"] == 1
            assert "HTTP 500" in summary["failure_examples"][0]["reason"]
            assert len(waits.slept) >= 1  # retried with backoff,
            assert waits.longest < 2.5  # never waiting past remaining time minus the margin
            assert_adds_up(summary)
            assert server.events == []
            healthy = True
            response, summary, _ = invoke(event, server.dsn)
            assert not isinstance(response, DeliveryError)
            assert summary["shipped"] == 1
            # A second redelivery (AWS retries twice) sends the same id again.
            invoke(event, server.dsn)
        assert len(set(accepted_once(server))) == 1

    def test_partial_failure_names_only_failed_records(self) -> None:
        """When one event's requests fail, only its Kinesis record is reported."""
        unlucky: list[str] = []

        def fail_one(request: Request) -> Reply:
            if not unlucky:
                unlucky.append(request.event_id)
            return Reply(503) if request.event_id == unlucky[0] else Reply()

        batch = kinesis_event(traces_payloads())
        with fake_sentry(fail_one) as server:
            response, summary, _ = invoke(batch, server.dsn, remaining_ms=3_000)
        assert isinstance(response, dict)
        assert len(response["batchItemFailures"]) == 1
        assert summary["failed"] == 1
        assert summary["shipped"] == len(DISTINCT_TRACES) - 1
        assert unlucky[0] not in accepted_once(server)
        assert_adds_up(summary)


class TestNetworkFaults:
    def test_hanging_server(self) -> None:
        """A server that never answers in time: the invocation fails before its deadline."""
        with fake_sentry(lambda _: Reply(delay_s=5)) as server:
            response, summary, waits = invoke(
                cloudwatch_event(traces_payloads()[0]), server.dsn, remaining_ms=2_500
            )
        assert isinstance(response, DeliveryError)
        assert "timed out" in summary["failure_examples"][0]["reason"]
        assert waits.longest < 2.0
        assert_adds_up(summary)

    def test_refused_connection(self) -> None:
        """Nobody listening: retried until the deadline, then every record is reported."""
        response, summary, waits = invoke(
            kinesis_event(traces_payloads()), refused_dsn(), remaining_ms=2_000
        )
        assert isinstance(response, dict)
        assert len(response["batchItemFailures"]) == len(DISTINCT_TRACES)
        assert summary["failed"] == len(DISTINCT_TRACES)
        assert "connection failed" in summary["failure_examples"][0]["reason"]
        assert len(waits.slept) > len(DISTINCT_TRACES)  # each event retried with backoff
        assert_adds_up(summary)

    @pytest.mark.parametrize("remaining_ms", [0, 400])
    def test_no_time_left(self, remaining_ms: int) -> None:
        """With less time left than the margin, nothing is attempted and all is reported."""
        with fake_sentry() as server:
            response, summary, _ = invoke(
                cloudwatch_event(traces_payloads()[0]), server.dsn, remaining_ms=remaining_ms
            )
        assert isinstance(response, DeliveryError)
        assert summary["failed"] == 1
        assert server.requests == []
