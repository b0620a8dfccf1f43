"""Bad and hostile input through the real Lambda handler, with a local Sentry-compatible server.

Each bad piece rides in a Kinesis batch beside four good records (real Python
tracebacks). Whatever the bad piece is, it becomes a clear, counted problem or
a truncated but valid event (Relay's own normalizer checks every event the
server received), the four good errors still arrive, and the counts add up.

The extreme traces are what real runtimes print (``programs/``, captured in
``data/`` by ``regenerate.sh``): 100,000 frames, 1,000 chained causes, and
cycles in the cause chain, from Python 3.11 and Java 17.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from fakesentry import FakeSentry, fake_sentry
from lambda_payloads import (
    ACCOUNT,
    DISTINCT_TRACES,
    GROUP,
    T0,
    cloudwatch_event,
    kinesis_event,
    payload,
    stream_events,
    stream_name,
    traces_payloads,
)
from reliability_support import DATA, assert_balanced, invoke, record
from sentry_relay.processing import StoreNormalizer

from logship.decode import from_lambda_event, lambda_event
from logship.records import InputProblem, LogEvent
from logship.truncate import MAX_EVENT_BYTES

SUITE = "hostile input"
NORMALIZER = StoreNormalizer(project_id=1)
GOOD = len(DISTINCT_TRACES)
MB = 1024 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSentry]:
    with fake_sentry() as running:
        yield running


def relay_accepts(event: dict[str, Any]) -> None:
    """Relay's normalizer finds nothing to reject in ``event`` (what sentry.io would run)."""
    raw = json.dumps(event, separators=(",", ":")).encode()
    assert len(raw) < MAX_EVENT_BYTES
    result = NORMALIZER.normalize_event(raw_event=raw)
    assert result.get("errors") is None, result.get("errors")


def bomb(inflated: int) -> bytes:
    """gzip of ``inflated`` zero bytes, compressed in chunks so the test never holds them."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(16 * MB)
    parts = [compressor.compress(chunk) for _ in range(inflated // len(chunk))]
    return b"".join([*parts, compressor.flush()])


def gz(document: object) -> bytes:
    return gzip.compress(json.dumps(document).encode())


def header(**fields: object) -> dict[str, Any]:
    document: dict[str, Any] = {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNT,
        "logGroup": GROUP,
        "logStream": stream_name(90),
        "subscriptionFilters": ["logship"],
    }
    document.update(fields)
    return document


def with_bad_record(bad: bytes | str) -> dict[str, Any]:
    """A Kinesis batch: the bad record first, then the four good ones."""
    event = kinesis_event([b"placeholder", *traces_payloads()])
    data = bad if isinstance(bad, str) else base64.b64encode(bad).decode()
    event["Records"][0]["kinesis"]["data"] = data
    return event


def ship(server: FakeSentry, event: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
    """Invoke the handler; return the run and the events the server received from it."""
    before = len(server.events)
    run = invoke(event, server.dsn)
    received = server.events[before:]
    for sent in received:
        relay_accepts(sent)
    return run, received


BAD_RECORDS: list[tuple[str, bytes | str, str]] = [
    ("malformed base64", "%%% this is not base64 %%%", "not valid base64"),
    ("non-ASCII base64 data", "donn\u00e9es", "not valid base64"),  # crashed the batch once
    ("truncated gzip", gzip.compress(payload("s", [("1" * 56, T0, "ERROR x")]))[:40], "gzip"),
    ("invalid JSON", gzip.compress(b'{"messageType": "DATA_MESSAGE", "logEvents": ['), "JSON"),
    ("not an object", gz([1, 2, 3]), "expected a JSON object"),
    ("missing logGroup", gz({"messageType": "DATA_MESSAGE", "logEvents": []}), "logGroup"),
    ("missing logEvents", gz(header()), "logEvents is missing"),
    ("logEvents not an array", gz(header(logEvents="abc")), "expected an array"),
    (
        "wrongly typed fields",
        gz(header(logEvents=[{"id": 5, "timestamp": "soon", "message": ["x"]}])),
        "id is a number, expected a string",
    ),
    (
        "event missing message",
        gz(header(logEvents=[{"id": "1" * 56, "timestamp": T0}])),
        "message is missing",
    ),
    ("unknown messageType", gz(header(messageType="SURPRISE", logEvents=[])), "messageType"),
    ("gzip bomb (1 GiB of zeros)", bomb(1024 * MB), "inflates past the limit"),
]


class TestUndecodableRecords:
    @pytest.mark.parametrize(
        ("bad", "reason"),
        [pytest.param(bad, reason, id=name) for name, bad, reason in BAD_RECORDS],
    )
    def test_counted_and_the_rest_ships(
        self, server: FakeSentry, bad: bytes | str, reason: str
    ) -> None:
        """The bad record is a counted problem naming the record; the good four arrive."""
        run, received = ship(server, with_bad_record(bad))
        summary = run.summary
        assert summary["events_invalid"] >= 1
        assert any("Records[0]" in p and reason in p for p in summary["problem_examples"]), summary[
            "problem_examples"
        ]
        assert summary["shipped"] == len(received) == GOOD
        # Undecodable data would fail again: it is reported, not handed back for a retry.
        assert run.response == {"batchItemFailures": []}
        assert_balanced(summary)
        name = next(n for n, b, _ in BAD_RECORDS if b == bad)
        example = summary["problem_examples"][0].split("): ", 1)[-1]
        record(SUITE, name, f"counted: {example[:80]}", summary)

    def test_non_utf8_bytes_are_replaced_and_shipped(self, server: FakeSentry) -> None:
        """Bytes that are not UTF-8 are noted once and replaced; the error still ships."""
        raw = json.dumps(
            header(logEvents=[{"id": "7" * 56, "timestamp": T0, "message": "ERROR bad \x00"}])
        ).encode()
        raw = raw.replace(b"\\u0000", b"\xff\xfe\xc3(")  # invalid UTF-8 inside the message
        run, received = ship(server, with_bad_record(gzip.compress(raw)))
        assert any("UTF-8" in p for p in run.summary["problem_examples"])
        assert run.summary["events_invalid"] == 0  # nothing lost, only replaced
        assert run.summary["shipped"] == len(received) == GOOD + 1
        assert any("\ufffd" in e["logentry"]["formatted"] for e in received if "logentry" in e)
        assert_balanced(run.summary)
        record(SUITE, "non-UTF-8 bytes", "replaced with U+FFFD, noted, shipped", run.summary)

    def test_bad_awslogs_event_does_not_fail_the_invocation(self, server: FakeSentry) -> None:
        """A direct subscription whose data is garbage is counted; the invocation succeeds
        (a retry would fail the same way)."""
        run, received = ship(server, {"awslogs": {"data": "bm90IGd6aXA="}})
        assert not run.raised
        assert run.summary["events_invalid"] == 1
        assert received == []
        assert_balanced(run.summary)
        record(SUITE, "awslogs data not gzip", "counted, invocation succeeds", run.summary)

    def test_bomb_is_refused_in_bounded_memory(self) -> None:
        """A payload inflating to 1 GiB is refused at a 1 MiB limit using a few MiB at most."""
        event = lambda_event(bomb(1024 * MB))
        tracemalloc.start()
        try:
            items = list(from_lambda_event(event, max_inflated_bytes=MB))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        (problem,) = items
        assert isinstance(problem, InputProblem)
        assert "inflates past the limit of 1048576 bytes" in problem.reason
        assert peak < 8 * MB
        record(SUITE, "gzip bomb, 1 MiB limit", f"refused; peak memory {peak / MB:.1f} MiB")


def trace_payload(name: str) -> tuple[bytes, int]:
    """The captured trace ``name`` as one payload, one CloudWatch event per line."""
    lines = gzip.decompress((DATA / f"{name}.txt.gz").read_bytes()).decode().splitlines()
    return payload(stream_name(99), stream_events(lines, first_id=10**54)), len(lines)


def trace_case(
    server: FakeSentry, name: str, *, log: bool = True
) -> tuple[Any, list[dict[str, Any]], int]:
    """The trace ``name`` beside the four good records; checks what must hold for any trace."""
    data, lines = trace_payload(name)
    started = time.monotonic()
    run, received = ship(server, kinesis_event([data, *traces_payloads()]))
    assert_balanced(run.summary)
    assert run.summary["events_received"] > lines
    assert run.response == {"batchItemFailures": []}
    good = [e for e in received if e["contexts"]["cloudwatch"]["log_stream"] != stream_name(99)]
    assert len(good) == GOOD
    mine = [e for e in received if e["contexts"]["cloudwatch"]["log_stream"] == stream_name(99)]
    seconds = time.monotonic() - started
    if log:
        truncated = any(e["extra"].get("logship_truncated") for e in mine)
        outcome = f"{len(mine)} valid event(s), truncated={truncated}, {seconds:.1f}s"
        record(SUITE, f"{name} ({lines} lines)", outcome, run.summary)
    return run, mine, lines


class TestExtremeTraces:
    def test_java_100000_frames(self, server: FakeSentry) -> None:
        """Java's 100,000-frame overflow: one valid event, its stack trimmed and marked."""
        _, mine, _ = trace_case(server, "java_deep_recursion")
        first = mine[0]
        (value,) = first["exception"]["values"]
        assert value["type"] == "IllegalStateException"
        assert len(value["stacktrace"]["frames"]) <= 250
        assert first["extra"]["logship_truncated"] is True

    def test_python_100000_frames(self, server: FakeSentry) -> None:
        """Python's 100,000-frame recursion: at least one valid event for the RecursionError."""
        _, mine, _ = trace_case(server, "python_deep_recursion")
        assert any(v["type"] == "RecursionError" for e in mine for v in e["exception"]["values"])

    @pytest.mark.parametrize("name", ["python_deep_chain", "java_deep_cause"])
    def test_1000_deep_cause_chain(self, server: FakeSentry, name: str) -> None:
        """1,000 chained causes: valid events whose chains are trimmed, links marked omitted."""
        _, mine, _ = trace_case(server, name)
        assert mine
        for event in mine:
            values = event["exception"]["values"]
            assert 1 <= len(values) <= 50
        assert any(e["extra"].get("logship_truncated") for e in mine)

    def test_python_cyclic_chain(self, server: FakeSentry) -> None:
        """Python prints a cycle once; the event holds both exceptions, root cause first."""
        _, mine, _ = trace_case(server, "python_cyclic_chain")
        (event,) = mine
        types = [v["type"] for v in event["exception"]["values"]]
        assert types == ["ValueError", "RuntimeError"]

    def test_java_cyclic_cause(self, server: FakeSentry) -> None:
        """Java marks the loop "[CIRCULAR REFERENCE: ...]": one valid event, both causes."""
        _, mine, _ = trace_case(server, "java_cyclic_cause")
        (event,) = mine
        types = [v["type"] for v in event["exception"]["values"]]
        assert "RuntimeException" in types
        assert "IllegalStateException" in types

    def test_java_cyclic_cause_root_is_the_last_real_exception(self, server: FakeSentry) -> None:
        """The circular-reference marker is not an exception: the root cause is the last one."""
        _, mine, _ = trace_case(server, "java_cyclic_cause", log=False)
        assert mine[0]["fingerprint"][2] == "java.lang.IllegalStateException"


class TestHugeLine:
    def test_10_mb_single_line(self, server: FakeSentry) -> None:
        """A 10 MB log line: one event, cut under Sentry's limits and marked; the rest ships."""
        line = "2024-05-01 10:00:00,000 ERROR [orders.api] export failed: " + "x" * (10 * MB)
        data = payload(stream_name(98), [("8" * 56, T0, line)])
        run, received = ship(server, kinesis_event([data, *traces_payloads()]))
        mine = [e for e in received if e["contexts"]["cloudwatch"]["log_stream"] == stream_name(98)]
        (event,) = mine
        assert event["extra"]["logship_truncated"] is True
        assert len(json.dumps(event)) < MAX_EVENT_BYTES
        assert run.summary["shipped"] == GOOD + 1
        assert_balanced(run.summary)
        record(SUITE, "10 MB single line", "1 event, cut and marked", run.summary)

    def test_10_mb_in_a_direct_subscription(self, server: FakeSentry) -> None:
        """The same line in a CloudWatch subscription event (no Kinesis): shipped, no retry."""
        line = "ERROR " + "y" * (10 * MB)
        run, received = ship(
            server, cloudwatch_event(payload(stream_name(97), [("9" * 56, T0, line)]))
        )
        assert not run.raised
        assert len(received) == 1
        assert_balanced(run.summary)


def test_every_decoder_problem_names_its_input() -> None:
    """Sanity for the table: the decoder's problems carry a source and a reason."""
    items = list(from_lambda_event(with_bad_record("%%%")))
    problems = [i for i in items if isinstance(i, InputProblem)]
    assert problems
    assert all(p.source and p.reason for p in problems)
    assert any(isinstance(i, LogEvent) for i in items)
