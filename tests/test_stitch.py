"""Tests for logship.stitch: a payload's edges read from a moto CloudWatch Logs.

The stream is real runtime output from the evaluation corpus: INFO lines of the
Java order service, then a logged error whose trace has a ``Caused by:`` root
cause (awslogs: one event per line), then more INFO lines. The tests cut it into
payloads where the awslogs driver might, and run each payload through
:func:`logship.aws_lambda.handle` as one invocation, the way AWS does.
"""

from __future__ import annotations

import gzip
import io
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lambda_payloads import FakeContext, firehose_event, kinesis_event, summary_line
from moto import mock_aws
from stitch_support import CORPUS, Event, Payload, corpus_payloads, logs_client, put, recent

from logship import stitch
from logship.aws_lambda import event_settings_for, handle, make_logger
from logship.cloudwatch import LogsReader
from logship.config import Config
from logship.decode import from_lambda_event
from logship.records import LogBatch, ReadEvent
from logship.settings import Settings
from logship.sink import MemorySink

REGION = "eu-west-1"
WAIT_MS = 6_000
SETTINGS = Settings(dsn="http://k@127.0.0.1:9/1", region=REGION, stitch_wait_ms=WAIT_MS)


def corpus_stream() -> tuple[str, str, list[Event], int, int]:
    """A real Java error with a root cause amid INFO lines: (group, stream, events, first, end).

    ``events[first:end]`` is the error entry (the truth's), with three entries'
    worth of lines on either side.
    """
    with gzip.open(CORPUS / "truth.json.gz", "rt", encoding="utf-8") as file:
        entries = json.load(file)["entries"]
    messages: dict[str, tuple[int, str]] = {}
    streams: dict[tuple[str, str], list[Event]] = {}
    for p in corpus_payloads():
        streams.setdefault((p.log_group, p.log_stream), []).extend(p.events)
        messages.update({i: (t, m) for i, t, m in p.events})
    for entry in entries:
        ids = entry["event_ids"]
        lines = [messages[i][1] for i in ids]
        if entry["error"] and 8 <= len(ids) <= 40 and any("Caused by:" in m for m in lines):
            key = (entry["log_group"], entry["log_stream"])
            events = sorted(streams[key], key=lambda e: e[1])
            first = next(n for n, e in enumerate(events) if e[0] == ids[0])
            start = max(0, first - 3)
            window = events[start : first + len(ids) + 3]
            return key[0], key[1], window, first - start, first - start + len(ids)
    raise AssertionError("the corpus has no Java error with a cause")


@dataclass
class Clock:
    """A wall clock and a monotonic clock that move only when slept on."""

    wall_ms: int
    monotonic: float = 1_000.0
    slept: list[float] = field(default_factory=list)
    on_sleep: Callable[[], None] | None = None

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.wall_ms += int(seconds * 1000)
        self.monotonic += seconds
        if self.on_sleep is not None:
            self.on_sleep()

    def wall(self) -> int:
        return self.wall_ms

    def clock(self) -> float:
        return self.monotonic


@dataclass
class Cloud:
    """The stream, stored in moto, and a way to invoke the function on payloads of it."""

    client: Any
    group: str
    stream: str
    events: list[Event]
    error_first: int
    error_end: int
    now_ms: int
    sink: MemorySink = field(default_factory=MemorySink)

    def store(self, events: list[Event]) -> None:
        put(self.client, self.group, self.stream, events)

    def payload(self, events: tuple[Event, ...] | list[Event]) -> Payload:
        return Payload(self.group, self.stream, tuple(events))

    def invoke(
        self,
        event: dict[str, Any],
        *,
        clock: Clock | None = None,
        client: Any = None,
        settings: Settings = SETTINGS,
        remaining_ms: int = 60_000,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """One invocation on ``event``; its response and summary line."""
        clock = clock or Clock(wall_ms=self.now_ms + 60_000)
        reader = LogsReader(client=client or self.client, clock=clock.clock, sleep=clock.sleep)
        out = io.StringIO()
        config = Config()
        response = handle(
            event,
            FakeContext(remaining_ms=remaining_ms),
            settings=settings,
            config=config,
            event_settings=event_settings_for(settings, config),
            sink=self.sink,
            log=make_logger(out),
            reader=reader,
            wall_ms=clock.wall,
            clock=clock.clock,
        )
        return response, summary_line(out)


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    group, stream, events, first, end = corpus_stream()
    with mock_aws():
        client = logs_client(REGION)
        client.create_log_group(logGroupName=group)
        client.create_log_stream(logGroupName=group, logStreamName=stream)
        now_ms = int(time.time() * 1000)
        moved = recent([Payload(group, stream, tuple(events))], now_ms=now_ms)[0].events
        yield Cloud(client, group, stream, list(moved), first, end, now_ms)


def assert_balanced(summary: dict[str, Any]) -> None:
    assert summary["balanced"], summary
    assert summary["events_received"] == (
        summary["events_invalid"]
        + summary["events_not_errors"]
        + summary["events_in_errors"]
        + summary["events_continued"]
    )


@contextmanager
def stored(lines: list[str]) -> Iterator[tuple[Any, str, str, list[Event], int]]:
    """``lines`` as one stream's events, a millisecond apart, stored in a moto CloudWatch Logs.

    Yields the client, the log group and stream, the events and the first one's time.
    """
    now = int(time.time() * 1000) - 60_000
    events = [(f"{i + 1:056d}", now + i, line) for i, line in enumerate(lines)]
    group, stream = "/ecs/payments", "ecs/payments/task1"
    with mock_aws():
        client = logs_client(REGION)
        client.create_log_group(logGroupName=group)
        client.create_log_stream(logGroupName=group, logStreamName=stream)
        put(client, group, stream, events)
        yield client, group, stream, events, now


class Refusing:
    """A CloudWatch Logs client whose ``get_log_events`` always fails with ``code``."""

    def __init__(self, client: Any, code: str) -> None:
        self.client = client
        self.code = code
        self.calls = 0

    def get_log_events(self, **params: Any) -> Any:
        self.calls += 1
        raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, "GetLogEvents")


class TestCutTrace:
    """A trace cut by a payload boundary ships once, whole, from the payload with its head."""

    def test_head_first(self, cloud: Cloud) -> None:
        """The head's invocation reads the rest; the tail's counts its events as continued."""
        cut = cloud.error_first + 4
        cloud.store(cloud.events)
        _, head = cloud.invoke(cloud.payload(cloud.events[:cut]).lambda_event())
        _, tail = cloud.invoke(cloud.payload(cloud.events[cut:]).lambda_event())
        assert len(cloud.sink.events) == 1
        event = cloud.sink.events[0]
        size = cloud.error_end - cloud.error_first
        assert event["extra"]["logship_stitched_events"] == size - 4
        assert event["contexts"]["cloudwatch"]["event_count"] == 4
        assert "logship_cut" not in event["extra"]
        assert head["entries_stitched"] == 1
        assert head["events_stitched"] == size - 4
        assert tail["events_continued"] == size - 4
        assert tail["errors"] == 0
        assert head["stitch_reads"] == 1
        assert tail["stitch_reads"] == 1
        for summary in (head, tail):
            assert_balanced(summary)

    def test_tail_first_gives_the_same_event(self, cloud: Cloud) -> None:
        """Out of order, the same single event: nothing depends on which came first."""
        cut = cloud.error_first + 4
        cloud.store(cloud.events)
        cloud.invoke(cloud.payload(cloud.events[cut:]).lambda_event())
        cloud.invoke(cloud.payload(cloud.events[:cut]).lambda_event())
        in_order = Cloud(**{**cloud.__dict__, "sink": MemorySink()})
        in_order.invoke(cloud.payload(cloud.events[:cut]).lambda_event())
        assert [e["event_id"] for e in cloud.sink.events] == [
            e["event_id"] for e in in_order.sink.events
        ]
        assert cloud.sink.events[0]["fingerprint"] == in_order.sink.events[0]["fingerprint"]

    def test_three_payloads(self, cloud: Cloud) -> None:
        """A middle payload of trace lines only ships nothing and reads only back."""
        a, b = cloud.error_first + 2, cloud.error_first + 5
        cloud.store(cloud.events)
        summaries = [
            cloud.invoke(cloud.payload(part).lambda_event())[1]
            for part in (cloud.events[:a], cloud.events[a:b], cloud.events[b:])
        ]
        assert len(cloud.sink.events) == 1
        size = cloud.error_end - cloud.error_first
        assert cloud.sink.events[0]["extra"]["logship_stitched_events"] == size - 2
        assert summaries[1]["events_continued"] == 3
        assert summaries[1]["stitch_reads"] == 1
        assert summaries[2]["events_continued"] == size - 5
        for summary in summaries:
            assert_balanced(summary)

    def test_same_fingerprint_as_one_payload(self, cloud: Cloud) -> None:
        """The stitched error gets the fingerprint it gets when no boundary cuts it."""
        cloud.store(cloud.events)
        cloud.invoke(cloud.payload(cloud.events[: cloud.error_first + 3]).lambda_event())
        whole = Cloud(**{**cloud.__dict__, "sink": MemorySink()})
        whole.invoke(cloud.payload(cloud.events).lambda_event())
        assert cloud.sink.events[0]["fingerprint"] == whole.sink.events[0]["fingerprint"]
        assert cloud.sink.events[0]["event_id"] == whole.sink.events[0]["event_id"]


class TestWaiting:
    """The rest of a trace may be stored a few seconds after its head."""

    def test_continuation_stored_while_waiting(self, cloud: Cloud) -> None:
        """Nothing follows yet: the invocation waits, reads again, ships the whole trace."""
        cut = cloud.error_first + 4
        cloud.store(cloud.events[:cut])
        clock = Clock(wall_ms=_stored_at(cloud) + 500)  # "now": right after it was stored
        clock.on_sleep = lambda: cloud.store(cloud.events[cut:]) if len(clock.slept) == 1 else None
        _, head = cloud.invoke(cloud.payload(cloud.events[:cut]).lambda_event(), clock=clock)
        assert len(clock.slept) == 1
        assert head["stitch_wait_ms"] > 0
        assert head["stitch_reads"] == 2
        event = cloud.sink.events[0]
        assert event["extra"]["logship_stitched_events"] == cloud.error_end - cut
        assert_balanced(head)

    def test_continuation_never_stored(self, cloud: Cloud) -> None:
        """Nothing comes within the wait: what the payload has ships, once, and is counted."""
        cut = cloud.error_first + 4
        cloud.store(cloud.events[:cut])
        clock = Clock(wall_ms=_stored_at(cloud) + 500)
        _, head = cloud.invoke(cloud.payload(cloud.events[:cut]).lambda_event(), clock=clock)
        assert len(cloud.sink.events) == 1
        assert head["shipped"] == 1
        assert head["stitch_wait_ms"] >= WAIT_MS - 500
        assert "logship_stitched_events" not in cloud.sink.events[0]["extra"]
        assert_balanced(head)

    def test_time_runs_out(self, cloud: Cloud) -> None:
        """An invocation without time to wait ships what it has, marked cut, and says so."""
        cut = cloud.error_first + 4
        cloud.store(cloud.events[:cut])
        clock = Clock(wall_ms=_stored_at(cloud) + 500)
        _, head = cloud.invoke(
            cloud.payload(cloud.events[:cut]).lambda_event(), clock=clock, remaining_ms=3_000
        )
        assert not clock.slept
        assert head["shipped"] == 1
        assert head["stitch_failed"] == 1
        assert "not stored within" in cloud.sink.events[0]["extra"]["logship_cut"]
        assert_balanced(head)

    def test_no_wait_once_a_later_line_is_stored(self, cloud: Cloud) -> None:
        """A line that ends the entry is already there: one read, no wait."""
        cloud.store(cloud.events)
        clock = Clock(wall_ms=_stored_at(cloud) + 500)
        cut = cloud.error_first + 4
        _, head = cloud.invoke(cloud.payload(cloud.events[:cut]).lambda_event(), clock=clock)
        assert not clock.slept
        assert head["stitch_reads"] == 1


def _stored_at(cloud: Cloud) -> int:
    page = cloud.client.get_log_events(
        logGroupName=cloud.group, logStreamName=cloud.stream, startFromHead=True
    )
    return max(int(e["ingestionTime"]) for e in page["events"])


class TestDegraded:
    """Reads that fail lose nothing and ship nothing twice: each side ships its own, marked."""

    @pytest.mark.parametrize(
        "code", ["ThrottlingException", "AccessDeniedException", "ResourceNotFoundException"]
    )
    def test_read_refused(self, cloud: Cloud, code: str) -> None:
        """Both invocations of a cut trace ship their part, marked cut; the counts add up."""
        cut = cloud.error_first + 4
        cloud.store(cloud.events)
        refusing = Refusing(cloud.client, code)
        _, head = cloud.invoke(cloud.payload(cloud.events[:cut]).lambda_event(), client=refusing)
        _, tail = cloud.invoke(cloud.payload(cloud.events[cut:]).lambda_event(), client=refusing)
        assert head["shipped"] == 1
        assert head["stitch_failed"] == 1
        assert tail["stitch_failed"] == 1
        assert tail["events_continued"] == 0
        assert code.removesuffix("Exception") in cloud.sink.events[0]["extra"]["logship_cut"]
        ids = [e["event_id"] for e in cloud.sink.events]
        assert len(ids) == len(set(ids))
        for summary in (head, tail):
            assert_balanced(summary)
        if code == "ThrottlingException":
            assert refusing.calls > 2  # retried with backoff while the budget allowed

    def test_log_group_deleted(self, cloud: Cloud) -> None:
        """The stream is gone by the time the payload arrives: shipped as it is, marked."""
        cut = cloud.error_first + 4
        cloud.store(cloud.events)
        cloud.client.delete_log_group(logGroupName=cloud.group)
        _, head = cloud.invoke(cloud.payload(cloud.events[:cut]).lambda_event())
        assert head["shipped"] == 1
        assert head["stitch_failed"] == 1
        assert "ResourceNotFound" in cloud.sink.events[0]["extra"]["logship_cut"]
        assert_balanced(head)

    def test_own_events_missing(self, cloud: Cloud) -> None:
        """A payload whose events CloudWatch does not hold: shipped as it is, marked."""
        cut = cloud.error_first + 4
        cloud.store(cloud.events[cut:])
        _, head = cloud.invoke(cloud.payload(cloud.events[:cut]).lambda_event())
        assert head["shipped"] == 1
        assert head["stitch_failed"] == 1
        assert "not in CloudWatch Logs" in cloud.sink.events[0]["extra"]["logship_cut"]
        assert_balanced(head)


class TestNoReads:
    """Reads happen only at edges that need them; without them boto3 is never loaded."""

    def test_payload_of_whole_entries(self, cloud: Cloud) -> None:
        """A payload that starts and ends with INFO lines needs no read and no client."""
        cloud.store(cloud.events)
        made: list[str] = []

        def factory() -> Any:
            made.append("client")
            return cloud.client

        reader = LogsReader(client_factory=factory)
        out = io.StringIO()
        config = Config()
        handle(
            cloud.payload(cloud.events).lambda_event(),
            FakeContext(),
            settings=SETTINGS,
            config=config,
            event_settings=event_settings_for(SETTINGS, config),
            sink=cloud.sink,
            log=make_logger(out),
            reader=reader,
        )
        assert summary_line(out)["stitch_reads"] == 0
        assert not made
        assert len(cloud.sink.events) == 1

    def test_stitching_off(self, cloud: Cloud) -> None:
        """LOGSHIP_STITCHING=off: each payload as it comes, as before stitching."""
        cut = cloud.error_first + 4
        cloud.store(cloud.events)
        off = Settings(dsn=SETTINGS.dsn, region=REGION, stitching=False)
        _, head = cloud.invoke(cloud.payload(cloud.events[:cut]).lambda_event(), settings=off)
        assert head["stitch_reads"] == 0
        assert "logship_stitched_events" not in cloud.sink.events[0]["extra"]


class TestBatches:
    """Kinesis and Firehose: one record is one payload; a batch holds several."""

    def test_kinesis_batch_with_both_halves(self, cloud: Cloud) -> None:
        """Both payloads in one batch, in either order: one event, no failed records."""
        cut = cloud.error_first + 4
        cloud.store(cloud.events)
        halves = [cloud.payload(cloud.events[:cut]), cloud.payload(cloud.events[cut:])]
        for order in (halves, halves[::-1]):
            cloud.sink = MemorySink()
            response, summary = cloud.invoke(kinesis_event([p.data() for p in order]))
            assert response == {"batchItemFailures": []}
            assert len(cloud.sink.events) == 1
            assert summary["events_continued"] == cloud.error_end - cut
            assert_balanced(summary)

    def test_firehose_records(self, cloud: Cloud) -> None:
        """Firehose: the records' results are Ok, the trace ships once, whole."""
        cut = cloud.error_first + 4
        cloud.store(cloud.events)
        halves = [cloud.payload(cloud.events[:cut]), cloud.payload(cloud.events[cut:])]
        response, summary = cloud.invoke(firehose_event([p.data() for p in halves]))
        assert {r["result"] for r in response["records"]} == {"Ok"}
        assert len(cloud.sink.events) == 1
        size = cloud.error_end - cloud.error_first
        assert cloud.sink.events[0]["extra"]["logship_stitched_events"] == size - 4
        assert_balanced(summary)


class TestRules:
    """The pure parts of the stitching rules."""

    def test_fresh_start_after_a_storage_gap(self) -> None:
        """Events stored more than the wait before the next one never continue into it."""
        events = [ReadEvent(t, "x", stored) for t, stored in ((1, 0), (2, 10), (3, 9_000))]
        assert stitch._fresh_start(events, 9_001, 6_000) == 2
        assert stitch._fresh_start(events, 20_000, 6_000) == 3
        assert stitch._fresh_start(events[:2], 11, 6_000) == 0

    def test_find_own_events(self) -> None:
        """A payload's events are found among those read, even beside equal timestamps."""
        read = [ReadEvent(5, "a", 0), ReadEvent(5, "b", 0), ReadEvent(5, "c", 0)]
        assert stitch._find(read, ["b", "c"], 5, at_end=True) == 1
        assert stitch._find(read, ["b"], 5, at_end=False) == 1
        assert stitch._find(read, ["z"], 5, at_end=False) is None

    def test_malformed_payload_events_still_stitched_as_one(self) -> None:
        """Events a malformed payload yields one by one are gathered back into its batch."""
        payload = Payload("/g", "s", (("1", 1, "a"), ("2", 2, "b")))
        # event by event, as for a payload holding a malformed event
        items = list(from_lambda_event(payload.lambda_event()))
        batches = list(stitch._batches(items))
        assert len(batches) == 1
        assert isinstance(batches[0], LogBatch)
        assert batches[0].event_ids == ("1", "2")


class TestSplitCrash:
    """A log line and the uncaught crash the assembler joined to it split the same way on
    both sides of a payload boundary (logship.parse.split_uncaught), as replay splits them."""

    def test_boundary_between_the_log_line_and_the_crash(self) -> None:
        """Cut right after the ERROR line: its payload ships it, the next ships the crash."""
        from pathlib import Path

        output = Path(__file__).parent / "formats" / "python-basicconfig" / "output.log"
        lines = output.read_text(encoding="utf-8").splitlines()
        start = next(i for i, line in enumerate(lines) if "ledger unreachable" in line)
        with stored(lines[start - 2 :]) as (client, group, stream, events, now):
            cloud = Cloud(client, group, stream, events, 2, len(events), now)
            whole = Cloud(**{**cloud.__dict__, "sink": MemorySink()})
            whole.invoke(cloud.payload(events).lambda_event())
            cut = 3  # two INFO lines, then the ERROR line
            _, head = cloud.invoke(cloud.payload(events[:cut]).lambda_event())
            _, tail = cloud.invoke(cloud.payload(events[cut:]).lambda_event())
        assert len(whole.sink.events) == 2  # replay's split: the log line, the crash
        assert sorted(e["event_id"] for e in cloud.sink.events) == sorted(
            e["event_id"] for e in whole.sink.events
        )
        assert head["shipped"] == 1
        assert tail["shipped"] == 1
        assert tail["events_continued"] == 0
        for summary in (head, tail):
            assert_balanced(summary)


class TestCrashTakesBlankLines:
    """Mono and PHP print a blank line first in their crash report; the report takes it
    (logship.assemble.claims_blank_lines) on both sides of any payload boundary."""

    @pytest.mark.parametrize(
        ("framework", "before_crash", "crash"),
        [
            ("dotnet-mono", "settlement run 77 aborted", "Unhandled Exception:"),
            ("php-uncaught", "processing order 1006", "Fatal error: Uncaught"),
        ],
    )
    def test_every_cut_ships_what_one_payload_ships(
        self, framework: str, before_crash: str, crash: str
    ) -> None:
        """Cut anywhere from the line before the blank to the report's frames: the same
        events reach Sentry once each, with the same lines, and every summary balances."""
        from pathlib import Path

        output = Path(__file__).parent / "formats" / framework / "output.log"
        lines = output.read_text(encoding="utf-8").splitlines()
        at = next(i for i, line in enumerate(lines) if before_crash in line)
        assert not lines[at + 1]
        assert lines[at + 2].startswith(crash)
        window = lines[at - 2 : at + 12]
        with stored(window) as (client, group, stream, events, now):
            whole = Cloud(client, group, stream, events, 0, len(events), now)
            whole.invoke(whole.payload(events).lambda_event())
            expected = _shipped(whole.sink.events)
            report = next(e for e in whole.sink.events if "exception" in e)
            assert report["contexts"]["cloudwatch"]["event_ids"][0] == events[3][0]  # the blank
            for cut in range(2, 7):
                cloud = Cloud(client, group, stream, events, 0, len(events), now)
                summaries = [
                    cloud.invoke(cloud.payload(part).lambda_event())[1]
                    for part in (events[:cut], events[cut:])
                ]
                assert _shipped(cloud.sink.events) == expected, cut
                for summary in summaries:
                    assert_balanced(summary)


def _shipped(events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Each event sent, as its first CloudWatch event and how many it holds (own and read)."""
    return sorted(
        (
            e["contexts"]["cloudwatch"]["event_ids"][0],
            e["contexts"]["cloudwatch"]["event_count"]
            + e["extra"].get("logship_stitched_events", 0),
        )
        for e in events
    )
