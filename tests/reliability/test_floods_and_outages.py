"""Floods and outages through the real Lambda handler and a misbehaving local server.

Floods: one failure logged 5,000 times in one invocation reaches Sentry
``max_events_per_fingerprint`` times; the rest are counted as suppressed and
the count rides on the last event sent.

Outages: the server rate-limits (429 + Retry-After), fails (500), hangs or is
not there. Within the invocation's deadline the sink retries; then the
invocation fails (a raised DeliveryError for a direct subscription,
``batchItemFailures`` for Kinesis) so AWS redelivers, and the redelivery,
with the same deterministic event ids, adds no duplicate. In every case the
counts add up and are logged.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fakesentry import Reply, Request, fake_sentry, refused_dsn
from lambda_payloads import (
    DISTINCT_TRACES,
    cloudwatch_event,
    kinesis_event,
    payload,
    stream_events,
    stream_name,
    trace_lines,
    traces_payloads,
)
from reliability_support import assert_balanced, invoke, record

from logship.config import Config
from logship.flood import SUPPRESSED_KEY

COPIES = 5_000
LIMIT = Config().max_events_per_fingerprint


def flood_payload(copies: int = COPIES, trace: str = "key_error") -> bytes:
    """One stream that logged the same real traceback ``copies`` times."""
    lines = trace_lines(trace) * copies
    return payload(stream_name(7), stream_events(lines, first_id=10**55))


@pytest.fixture(scope="module")
def flood() -> bytes:
    return flood_payload()


class TestFlood:
    def test_5000_copies_send_the_limit_and_count_the_rest(self, flood: bytes) -> None:
        """5,000 copies: ``LIMIT`` events sent, 4,900 suppressed, the count on the last one."""
        with fake_sentry() as server:
            run = invoke(cloudwatch_event(flood), server.dsn)
        summary = run.summary
        assert summary["errors"] == COPIES
        assert summary["shipped"] == len(server.events) == LIMIT
        assert summary["suppressed"] == COPIES - LIMIT
        carriers = [e for e in server.events if SUPPRESSED_KEY in e["extra"]]
        (carrier,) = carriers
        assert carrier["extra"][SUPPRESSED_KEY] == COPIES - LIMIT
        # "The last": the latest of the errors that were sent, whatever the arrival order.
        assert carrier["timestamp"] == max(e["timestamp"] for e in server.events)
        assert_balanced(summary)
        record(
            "floods",
            f"{COPIES} copies of one failure",
            f"{LIMIT} sent, {COPIES - LIMIT} counted on the last ({run.seconds:.1f}s)",
            summary,
        )

    def test_flood_leaves_other_errors_alone(self, flood: bytes) -> None:
        """Beside a flood, each other error is sent once, with no count; the limit is config."""
        config = Config(max_events_per_fingerprint=10)
        with fake_sentry() as server:
            # The flood is key_error: the others are the three other traces.
            others = traces_payloads(DISTINCT_TRACES[1:])
            run = invoke(kinesis_event([flood, *others]), server.dsn, config=config)
        per_fingerprint = Counter(tuple(e["fingerprint"]) for e in server.events)
        assert sorted(per_fingerprint.values()) == [1, 1, 1, 10]
        counted = {
            tuple(e["fingerprint"]): e["extra"][SUPPRESSED_KEY]
            for e in server.events
            if SUPPRESSED_KEY in e["extra"]
        }
        assert list(counted.values()) == [COPIES - 10]
        assert run.summary["suppressed"] == COPIES - 10
        assert_balanced(run.summary)
        record("floods", "flood beside 3 other errors (limit 10)", "others untouched", run.summary)

    def test_flood_during_outage_then_redelivery(self, flood: bytes) -> None:
        """Sentry down during a flood: the sent ones fail and the batch is retried; the
        redelivery sends the same ids and the same count, once each."""
        healthy = False

        def script(_: Request) -> Reply:
            return Reply() if healthy else Reply(503)

        event = kinesis_event([flood])
        with fake_sentry(script) as server:
            down = invoke(event, server.dsn, remaining_ms=2_500)
            assert down.response == {
                "batchItemFailures": [
                    {"itemIdentifier": event["Records"][0]["kinesis"]["sequenceNumber"]}
                ]
            }
            assert down.summary["failed"] == LIMIT
            assert down.summary["suppressed"] == COPIES - LIMIT
            assert_balanced(down.summary)
            record("floods", "flood while Sentry answers 503", "batch handed back", down.summary)
            healthy = True
            up = invoke(event, server.dsn)
            invoke(event, server.dsn)  # AWS may deliver it once more
        ids = Counter(e["event_id"] for e in server.events)
        assert len(ids) == LIMIT
        assert up.summary["shipped"] == LIMIT
        assert_balanced(up.summary)
        record("floods", "same flood redelivered twice", "same ids, no duplicate issue", up.summary)


def script_for(fault: str) -> Any:
    seen: set[str] = set()

    def rate_limit_once(request: Request) -> Reply:
        if request.event_id not in seen:
            seen.add(request.event_id)
            return Reply(429, (("Retry-After", "1"),))
        return Reply()

    def flaky(request: Request) -> Reply:
        if request.event_id not in seen:
            seen.add(request.event_id)
            return Reply(500)
        return Reply()

    return {
        "429 Retry-After: 1, then accepts": rate_limit_once,
        "500 once per event, then accepts": flaky,
        "429 Retry-After: 3600": lambda _: Reply(429, (("Retry-After", "3600"),)),
        "500 always": lambda _: Reply(500),
        "hangs 5 s per request": lambda _: Reply(delay_s=5),
        "400 (bad event, not retried)": lambda _: Reply(400),
    }[fault]


OUTAGES = [
    # fault, recovers within the deadline
    ("429 Retry-After: 1, then accepts", True),
    ("500 once per event, then accepts", True),
    ("429 Retry-After: 3600", False),
    ("500 always", False),
    ("hangs 5 s per request", False),
    ("400 (bad event, not retried)", False),
]


@pytest.fixture
def batch() -> dict[str, Any]:
    return kinesis_event(traces_payloads())


class TestOutages:
    @pytest.mark.parametrize(("fault", "recovers"), OUTAGES, ids=[f for f, _ in OUTAGES])
    def test_kinesis_batch(self, batch: dict[str, Any], fault: str, recovers: bool) -> None:
        """Retries inside the deadline; what still failed is handed back to Kinesis."""
        with fake_sentry(script_for(fault)) as server:
            run = invoke(batch, server.dsn, remaining_ms=4_000)
        summary = run.summary
        assert run.waits.longest < 3.5  # never waiting past remaining time minus the margin
        assert_balanced(summary)
        if recovers:
            assert run.response == {"batchItemFailures": []}
            assert summary["shipped"] == len(DISTINCT_TRACES)
            assert run.waits.slept  # it took a retry
        else:
            assert isinstance(run.response, dict)
            assert len(run.response["batchItemFailures"]) == len(DISTINCT_TRACES)
            assert summary["failed"] == len(DISTINCT_TRACES)
            assert summary["failure_examples"]
        outcome = (
            "retried, delivered"
            if recovers
            else (f"batchItemFailures ({summary['failure_examples'][0]['reason']})")
        )
        record("outages", f"Kinesis, {fault}", f"{outcome}, {run.seconds:.1f}s", summary)

    @pytest.mark.parametrize(("fault", "recovers"), OUTAGES[1:4], ids=[f for f, _ in OUTAGES[1:4]])
    def test_direct_subscription(self, fault: str, recovers: bool) -> None:
        """A direct subscription raises DeliveryError, so Lambda retries the invocation."""
        event = cloudwatch_event(traces_payloads()[0])
        with fake_sentry(script_for(fault)) as server:
            run = invoke(event, server.dsn, remaining_ms=3_000)
        assert run.raised is not recovers
        assert_balanced(run.summary)
        record(
            "outages",
            f"subscription, {fault}",
            "delivered" if recovers else "DeliveryError raised: AWS retries",
            run.summary,
        )

    def test_refused_connection(self, batch: dict[str, Any]) -> None:
        """Nobody listening: retried until the deadline, then every record is handed back."""
        run = invoke(batch, refused_dsn(), remaining_ms=2_000)
        assert isinstance(run.response, dict)
        assert len(run.response["batchItemFailures"]) == len(DISTINCT_TRACES)
        assert "connection failed" in run.summary["failure_examples"][0]["reason"]
        assert_balanced(run.summary)
        record("outages", "Kinesis, connection refused", "batchItemFailures", run.summary)

    def test_control_message_beside_an_outage(self) -> None:
        """A CONTROL_MESSAGE is counted apart and never makes a batch fail."""
        control = payload(
            "log_stream_created_by_aws_to_validate_log_delivery_subscriptions",
            [("0" * 56, 1, "CWL CONTROL MESSAGE: Checking health of destination Kinesis.")],
            message_type="CONTROL_MESSAGE",
        )
        with fake_sentry(lambda _: Reply(500)) as server:
            run = invoke(kinesis_event([control]), server.dsn, remaining_ms=2_000)
        assert run.response == {"batchItemFailures": []}
        assert run.summary["control_messages"] == 1
        assert server.requests == []
        assert_balanced(run.summary)
        record("outages", "control message, server down", "skipped, counted", run.summary)
