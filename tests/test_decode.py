"""Tests for logship.decode: Lambda events, payloads, files and stdin."""

from __future__ import annotations

import base64
import gzip
import io
import json
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logship.decode import (
    DEFAULT_MAX_INFLATED,
    Format,
    Item,
    classify,
    detect_format,
    encode_payload,
    from_lambda_event,
    from_path,
    from_payload,
    inflate,
    lambda_event,
)
from logship.exceptions import InputError, PayloadTooLargeError
from logship.records import ControlMessage, InputProblem, LogEvent

EVENTS = Path(__file__).parent / "events"
REPO = Path(__file__).parent.parent
GROUP = "/ecs/orders"
STREAM = "ecs/orders-api/abc123"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def events_of(items: Iterable[Item]) -> list[LogEvent]:
    return [item for item in items if isinstance(item, LogEvent)]


def problems_of(items: Iterable[Item]) -> list[InputProblem]:
    return [item for item in items if isinstance(item, InputProblem)]


def payload(*messages: str, group: str = GROUP, stream: str = STREAM) -> bytes:
    return encode_payload(
        group, stream, [(f"id{i}", 1714564800000 + i, m) for i, m in enumerate(messages)]
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def raw_payload(document: object) -> bytes:
    """gzip of any JSON document, for payloads encode_payload would never build."""
    return gzip.compress(json.dumps(document).encode(), mtime=0)


def kinesis_record(data: str, sequence: str) -> dict[str, Any]:
    return {
        "kinesis": {"sequenceNumber": sequence, "data": data, "partitionKey": "p"},
        "eventSource": "aws:kinesis",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/logs",
    }


def write_dump(path: Path, events: list[dict[str, Any]], **top: Any) -> None:
    document = {**top, "events": events}
    path.write_text(json.dumps(document, indent=4), encoding="utf-8")


def dump_event(index: int, message: str = "boom") -> dict[str, Any]:
    return {
        "logStreamName": f"stream-{index % 3}",
        "timestamp": 1714564800000 + index,
        "message": f"{message} {index}",
        "ingestionTime": 1714564800500 + index,
        "eventId": f"{index:056d}",
    }


class TestInflate:
    def test_gzip_and_zlib_are_both_accepted(self) -> None:
        """Like Powertools' MAX_WBITS | 32, a zlib stream inflates as well as gzip."""
        assert inflate(gzip.compress(b"hello"), limit=100) == b"hello"
        assert inflate(zlib.compress(b"hello"), limit=100) == b"hello"

    def test_a_gzip_bomb_is_refused_with_bounded_memory(self) -> None:
        """10 MB of zeros against a 1 MB limit: refused without inflating it all."""
        bomb = gzip.compress(bytes(10 * 1024 * 1024))
        assert len(bomb) < 20_000
        tracemalloc.start()
        try:
            with pytest.raises(PayloadTooLargeError, match="limit of 1048576 bytes"):
                inflate(bomb, limit=1024 * 1024)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 3 * 1024 * 1024  # the limit plus one step, never the 10 MB

    def test_truncated_gzip_is_an_input_error(self) -> None:
        """A stream cut short says so rather than returning what it had."""
        data = gzip.compress(b"x" * 1000 + bytes(range(256)) * 50)
        with pytest.raises(InputError, match="truncated gzip"):
            inflate(data[: len(data) // 2], limit=10**6)

    def test_data_that_is_not_gzip_is_an_input_error(self) -> None:
        """Random bytes are named as not gzip."""
        with pytest.raises(InputError, match="not valid gzip"):
            inflate(b"this is not compressed", limit=10**6)


class TestEncodePayload:
    def test_shape_is_the_subscription_payload(self) -> None:
        """The JSON inside has every key CloudWatch Logs sends."""
        document = json.loads(gzip.decompress(payload("a")))
        assert document == {
            "messageType": "DATA_MESSAGE",
            "owner": "123456789012",
            "logGroup": GROUP,
            "logStream": STREAM,
            "subscriptionFilters": ["logship"],
            "logEvents": [{"id": "id0", "timestamp": 1714564800000, "message": "a"}],
        }

    def test_output_is_deterministic(self) -> None:
        """The same events give the same bytes (gzip mtime is zero), so fixtures are stable."""
        assert payload("a", "b") == payload("a", "b")

    @given(
        st.lists(
            st.tuples(
                st.text(min_size=1, max_size=20),
                st.integers(min_value=0, max_value=2**53),
                st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
            ),
            max_size=30,
        ),
        st.text(min_size=1, max_size=50),
        st.text(max_size=50),
    )
    def test_round_trip(self, events: list[tuple[str, int, str]], group: str, stream: str) -> None:
        """encode_payload -> from_payload gives back exactly the events put in."""
        items = list(
            from_payload(encode_payload(group, stream, events), source="p", region="eu-west-1")
        )
        assert all(isinstance(item, LogEvent) for item in items)
        decoded = events_of(items)
        assert [(e.event_id, e.timestamp, e.message) for e in decoded] == events
        assert {(e.log_group, e.log_stream, e.region) for e in decoded} <= {
            (group, stream, "eu-west-1")
        }


class TestFromPayload:
    def test_events_carry_payload_fields_region_and_batch_item(self) -> None:
        """Group, stream, owner from the payload; region and batch item from the caller."""
        (event,) = from_payload(payload("boom"), source="p", region="eu-west-1", batch_item="s1")
        assert event == LogEvent(
            log_group=GROUP,
            log_stream=STREAM,
            event_id="id0",
            timestamp=1714564800000,
            message="boom",
            owner="123456789012",
            region="eu-west-1",
            source="p: logEvents[0]",
            batch_item="s1",
        )

    def test_control_message(self) -> None:
        """A CONTROL_MESSAGE becomes one ControlMessage and no event."""
        data = encode_payload(
            "", "", [("", 1, "CWL CONTROL MESSAGE")], message_type="CONTROL_MESSAGE"
        )
        assert list(from_payload(data, source="p")) == [ControlMessage("p")]

    def test_bomb_becomes_a_problem_naming_the_limit(self) -> None:
        """A payload inflating past max_inflated_bytes is refused with a clear reason."""
        bomb = gzip.compress(bytes(10 * 1024 * 1024))
        (problem,) = from_payload(bomb, source="p", max_inflated_bytes=1024 * 1024)
        assert isinstance(problem, InputProblem)
        assert "max_inflated_bytes" in problem.reason
        assert "refused" in problem.reason

    def test_truncated_gzip(self) -> None:
        """A cut payload is one problem naming the source."""
        data = payload(*(f"message {i} {'x' * i}" for i in range(200)))
        (problem,) = from_payload(data[:-30], source="lambda event: awslogs.data")
        assert problem == InputProblem(
            "lambda event: awslogs.data",
            f"payload truncated gzip data: the stream ends after {len(data) - 30} compressed bytes",
        )

    def test_invalid_json(self) -> None:
        """Gzip of something that is not JSON says where the JSON breaks."""
        (problem,) = from_payload(gzip.compress(b'{"messageType": DATA'), source="p")
        assert isinstance(problem, InputProblem)
        assert problem.reason.startswith("payload is not valid JSON: Expecting value at line 1")

    def test_missing_header_field_loses_every_event(self) -> None:
        """Without logGroup no event can be placed; events_lost is the logEvents count."""
        document = json.loads(gzip.decompress(payload("a", "b", "c")))
        del document["logGroup"]
        (problem,) = from_payload(raw_payload(document), source="p")
        assert problem == InputProblem("p", "logGroup is missing", events_lost=3)

    def test_wrongly_typed_event_field_spares_the_others(self) -> None:
        """One event with a string timestamp is a problem; its neighbours still decode."""
        document = json.loads(gzip.decompress(payload("a", "b", "c")))
        document["logEvents"][1]["timestamp"] = "yesterday"
        items = list(from_payload(raw_payload(document), source="p"))
        assert [e.message for e in events_of(items)] == ["a", "c"]
        assert problems_of(items) == [
            InputProblem("p: logEvents[1]", "timestamp is a string, expected an integer")
        ]

    def test_missing_log_events(self) -> None:
        """A DATA_MESSAGE without logEvents says the key is missing."""
        document = json.loads(gzip.decompress(payload("a")))
        del document["logEvents"]
        (problem,) = from_payload(raw_payload(document), source="p")
        assert problem == InputProblem("p", "logEvents is missing, expected an array")

    def test_unknown_message_type(self) -> None:
        """A messageType other than DATA/CONTROL is refused, counting its events."""
        document = json.loads(gzip.decompress(payload("a", "b")))
        document["messageType"] = "SOMETHING"
        (problem,) = from_payload(raw_payload(document), source="p")
        assert isinstance(problem, InputProblem)
        assert problem.events_lost == 2
        assert "messageType is 'SOMETHING'" in problem.reason

    def test_payload_that_is_not_an_object(self) -> None:
        """A JSON array payload is named for what it is."""
        (problem,) = from_payload(raw_payload([1, 2]), source="p")
        assert problem == InputProblem("p", "payload is an array, expected a JSON object")

    def test_non_utf8_bytes_are_replaced_and_noted(self) -> None:
        """Latin-1 in a payload: the event still comes out, with U+FFFD, plus a note
        that loses no event (events_lost=0)."""
        text = json.dumps(json.loads(gzip.decompress(payload("caf@")))).replace("@", "\\u0040")
        data = gzip.compress(text.replace("\\u0040", "\xe9").encode("latin-1"))
        items = list(from_payload(data, source="p"))
        assert [e.message for e in events_of(items)] == ["caf\ufffd"]
        (note,) = problems_of(items)
        assert note.events_lost == 0
        assert "not UTF-8" in note.reason

    def test_already_inflated_json_is_accepted(self) -> None:
        """Firehose can decompress CloudWatch records itself: plain JSON decodes too."""
        inflated = gzip.decompress(payload("a"))
        assert [e.message for e in events_of(from_payload(inflated, source="p"))] == ["a"]


class TestFromLambdaEvent:
    def test_aws_documented_subscription_event(self) -> None:
        """The Lambda developer guide's sample event decodes to its two events."""
        items = list(
            from_lambda_event(load_event("cloudwatch_logs_subscription.json"), region="us-east-1")
        )
        assert items == [
            LogEvent(
                log_group="testLogGroup",
                log_stream="testLogStream",
                event_id=f"eventId{n}",
                timestamp=1440442987000 + n - 1,
                message=f"[ERROR] {word} test message",
                owner="123456789123",
                region="us-east-1",
                source=f"lambda event: awslogs.data: logEvents[{n - 1}]",
            )
            for n, word in ((1, "First"), (2, "Second"))
        ]

    def test_control_message_event(self) -> None:
        """The health check sent when a subscription is created is a ControlMessage."""
        items = list(from_lambda_event(load_event("cloudwatch_logs_control_message.json")))
        assert items == [ControlMessage("lambda event: awslogs.data")]

    def test_kinesis_event_sets_batch_item_and_region(self) -> None:
        """Each Kinesis record's events carry its sequence number and the record's region."""
        event = load_event("kinesis_cloudwatch_logs.json")
        items = list(from_lambda_event(event))
        sequences = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
        assert len(items) == 6
        assert [e.batch_item for e in events_of(items)] == [sequences[0]] * 3 + [sequences[1]] * 3
        assert {e.region for e in events_of(items)} == {"eu-west-1"}
        assert {e.log_group for e in events_of(items)} == {"/ecs/orders"}

    def test_region_argument_wins(self) -> None:
        """The Lambda's AWS_REGION, passed explicitly, beats what the record says."""
        items = from_lambda_event(load_event("kinesis_cloudwatch_logs.json"), region="ap-south-1")
        assert {e.region for e in events_of(items)} == {"ap-south-1"}

    def test_bad_kinesis_record_names_its_sequence_and_spares_the_rest(self) -> None:
        """Records[1] is broken; Records[0] and Records[2] still decode."""
        event = {
            "Records": [
                kinesis_record(b64(payload("first")), "4959001"),
                kinesis_record("not base64!", "4959002"),
                kinesis_record(b64(payload("third")), "4959003"),
            ]
        }
        items = list(from_lambda_event(event))
        assert [(e.message, e.batch_item) for e in events_of(items)] == [
            ("first", "4959001"),
            ("third", "4959003"),
        ]
        (problem,) = problems_of(items)
        assert problem.source == "lambda event: Records[1] (seq 4959002)"
        assert problem.reason.startswith("data is not valid base64")

    def test_kinesis_record_without_sequence_number(self) -> None:
        """A record missing its sequence number is a problem naming the key."""
        record = kinesis_record(b64(payload("a")), "1")
        del record["kinesis"]["sequenceNumber"]
        (problem,) = from_lambda_event({"Records": [record]})
        assert problem == InputProblem(
            "lambda event: Records[0]", "kinesis.sequenceNumber is missing"
        )

    def test_kinesis_record_with_gzip_bomb(self) -> None:
        """A bomb in one Kinesis record is refused; the record is named."""
        bomb = b64(gzip.compress(bytes(4 * 1024 * 1024)))
        items = list(
            from_lambda_event(
                {"Records": [kinesis_record(bomb, "77"), kinesis_record(b64(payload("ok")), "78")]},
                max_inflated_bytes=1024 * 1024,
            )
        )
        assert [e.message for e in events_of(items)] == ["ok"]
        (problem,) = problems_of(items)
        assert problem.source == "lambda event: Records[0] (seq 77)"
        assert "refused" in problem.reason

    def test_firehose_event_sets_batch_item_and_region(self) -> None:
        """Firehose records carry their recordId; the region comes from the event."""
        event = load_event("firehose_cloudwatch_logs.json")
        items = list(from_lambda_event(event))
        record_id = event["records"][0]["recordId"]
        assert len(items) == 3
        assert {(e.batch_item, e.region) for e in events_of(items)} == {(record_id, "eu-west-1")}
        assert events_of(items)[0].source.startswith(f"lambda event: records[0] (id {record_id})")

    def test_firehose_record_without_data(self) -> None:
        """A Firehose record missing data names the record id."""
        (problem,) = from_lambda_event({"records": [{"recordId": "r-1"}]})
        assert problem == InputProblem(
            "lambda event: records[0] (id r-1)", "data is null, expected a base64 string"
        )

    def test_unknown_event_shape(self) -> None:
        """An SQS or API Gateway event is refused, listing the keys it has."""
        (problem,) = from_lambda_event({"httpMethod": "GET", "path": "/"})
        assert isinstance(problem, InputProblem)
        assert problem.source == "lambda event"
        assert "top-level keys: httpMethod, path" in problem.reason

    def test_wrong_types_in_envelope(self) -> None:
        """awslogs that is not an object and Records that is not a list are named."""
        assert list(from_lambda_event({"awslogs": "x"})) == [
            InputProblem("lambda event", "awslogs is a string, expected an object")
        ]
        assert list(from_lambda_event({"Records": {}})) == [
            InputProblem("lambda event", "Records is an object, expected an array")
        ]

    def test_lambda_event_helper_round_trips(self) -> None:
        """lambda_event(payload) is what from_lambda_event reads."""
        items = from_lambda_event(lambda_event(payload("x", "y")))
        assert [e.message for e in events_of(items)] == ["x", "y"]


class TestFromPathJsonDocuments:
    def test_filter_log_events_sample(self) -> None:
        """The CLI's filter-log-events output: group from the argument, ids from the dump."""
        items = list(from_path(EVENTS / "filter_log_events.json", log_group="/ecs/orders"))
        events = events_of(items)
        assert len(items) == len(events) == 3
        assert {e.log_group for e in events} == {"/ecs/orders"}
        assert events[0].event_id == f"{36 * 10**54 + 200:056d}"
        assert events[0].log_stream.startswith("ecs/orders-api/")
        assert events[0].source.endswith("filter_log_events.json: events[0]")

    def test_log_group_name_before_events_wins(self, tmp_path: Path) -> None:
        """A top-level logGroupName that precedes events names the group."""
        path = tmp_path / "dump.json"
        write_dump(path, [dump_event(1)], logGroupName="/ecs/payments")
        assert {e.log_group for e in events_of(from_path(path, log_group="/x"))} == {
            "/ecs/payments"
        }

    def test_log_group_name_after_events_is_not_used(self, tmp_path: Path) -> None:
        """Streaming cannot wait for a key after events: the argument names the group."""
        path = tmp_path / "dump.json"
        document = {"events": [dump_event(1)], "logGroupName": "/late"}
        path.write_text(json.dumps(document, indent=2))
        assert [e.log_group for e in events_of(from_path(path, log_group="/arg"))] == ["/arg"]
        assert [e.log_group for e in events_of(from_path(path))] == ["dump"]

    def test_gzip_detected_by_magic_bytes_not_suffix(self, tmp_path: Path) -> None:
        """A gzip dump named .json (no .gz) still inflates."""
        path = tmp_path / "dump.json"
        path.write_bytes(gzip.compress(json.dumps({"events": [dump_event(7)]}, indent=4).encode()))
        assert [e.message for e in events_of(from_path(path))] == ["boom 7"]
        assert detect_format(path) == "filter-log-events.gz"

    def test_get_log_events_output_without_stream_or_id(self, tmp_path: Path) -> None:
        """get-log-events entries lack stream and id: the file name and index stand in."""
        path = tmp_path / "stream.json"
        path.write_text(json.dumps({"events": [{"timestamp": 5, "message": "m"}]}, indent=1))
        (event,) = from_path(path)
        assert isinstance(event, LogEvent)
        assert (event.log_stream, event.event_id) == ("stream.json", f"{path}:events[0]")

    def test_bad_element_spares_its_neighbours(self, tmp_path: Path) -> None:
        """An event without a message is a problem; the events around it come out."""
        path = tmp_path / "dump.json"
        bad = dump_event(2)
        del bad["message"]
        write_dump(path, [dump_event(1), bad, dump_event(3)])
        items = list(from_path(path))
        assert [e.message for e in events_of(items)] == ["boom 1", "boom 3"]
        assert problems_of(items) == [InputProblem(f"{path}: events[1]", "message is missing")]

    def test_invalid_json_midway_keeps_earlier_events(self, tmp_path: Path) -> None:
        """A syntax error stops reading with the line; what came before is kept."""
        path = tmp_path / "dump.json"
        write_dump(path, [dump_event(i) for i in range(3)])
        text = path.read_text().replace('"boom 2"', "boom 2")
        path.write_text(text)
        items = list(from_path(path))
        assert [e.message for e in events_of(items)] == ["boom 0", "boom 1"]
        (problem,) = problems_of(items)
        line = text.splitlines().index(next(s for s in text.splitlines() if "boom 2" in s)) + 1
        assert problem.source == f"{path}: line {line}"
        assert problem.reason == "invalid JSON: Expecting value; reading stopped"

    def test_concatenated_pages(self, tmp_path: Path) -> None:
        """Several dumps one after the other (pages saved by a loop) are all read."""
        path = tmp_path / "pages.json"
        pages = [{"events": [dump_event(i)], "nextToken": str(i)} for i in range(3)]
        texts = [json.dumps(p, indent=2) for p in pages]
        path.write_text("\n".join(texts))
        items = list(from_path(path))
        assert [e.message for e in events_of(items)] == ["boom 0", "boom 1", "boom 2"]
        third_line = 1 + sum(len(t.splitlines()) for t in texts[:2])
        assert events_of(items)[2].source == f"{path}: object 3 (line {third_line}): events[0]"

    def test_element_over_the_limit_is_refused(self, tmp_path: Path) -> None:
        """A JSON element larger than max_inflated_bytes is refused, not held."""
        path = tmp_path / "dump.json"
        write_dump(path, [dump_event(1), dump_event(2, message="x" * 400_000)])
        items = list(from_path(path, max_inflated_bytes=100_000))
        assert [e.message for e in events_of(items)] == ["boom 1"]
        (problem,) = problems_of(items)
        assert "larger than the limit of 100000" in problem.reason

    def test_saved_lambda_and_kinesis_events(self) -> None:
        """The sample Lambda events read from files decode like the Lambda would."""
        lambda_items = list(from_path(EVENTS / "cloudwatch_logs_subscription.json"))
        assert [e.event_id for e in events_of(lambda_items)] == ["eventId1", "eventId2"]
        kinesis_items = list(from_path(EVENTS / "kinesis_cloudwatch_logs.json", region="r"))
        assert len(events_of(kinesis_items)) == 6
        assert events_of(kinesis_items)[0].batch_item.startswith("4965")
        assert events_of(kinesis_items)[0].region == "r"
        firehose_items = list(from_path(EVENTS / "firehose_cloudwatch_logs.json"))
        assert {e.region for e in events_of(firehose_items)} == {"eu-west-1"}
        control = list(from_path(EVENTS / "cloudwatch_logs_control_message.json"))
        assert control == [
            ControlMessage(f"{EVENTS / 'cloudwatch_logs_control_message.json'}: awslogs.data")
        ]

    def test_inflated_payload_with_sorted_keys(self, tmp_path: Path) -> None:
        """A payload saved with sorted keys (logEvents first) still gets its group."""
        document = json.loads(gzip.decompress(payload("a", "b")))
        path = tmp_path / "payload.json"
        path.write_text(json.dumps(document, indent=2, sort_keys=True))
        events = events_of(from_path(path))
        assert [(e.log_group, e.message) for e in events] == [(GROUP, "a"), (GROUP, "b")]

    def test_inflated_payload_in_aws_order_streams(self, tmp_path: Path) -> None:
        """In AWS key order the header precedes logEvents and events stream out."""
        path = tmp_path / "payload.json"
        path.write_text(json.dumps(json.loads(gzip.decompress(payload("a"))), indent=2))
        (event,) = from_path(path)
        assert isinstance(event, LogEvent)
        assert (event.owner, event.source) == ("123456789012", f"{path}: logEvents[0]")

    def test_unknown_json_document(self, tmp_path: Path) -> None:
        """A pretty-printed JSON object of no known shape is one clear problem."""
        path = tmp_path / "config.json"
        path.write_text(json.dumps({"name": "x", "version": 2}, indent=2))
        (problem,) = from_path(path)
        assert isinstance(problem, InputProblem)
        assert "its keys: name, version" in problem.reason


class TestFromPathLines:
    def test_plain_text(self, tmp_path: Path) -> None:
        """One line, one event; ids <file>:<line>; stream is the file name, group its stem."""
        path = tmp_path / "orders.log"
        path.write_bytes(b"first\n\nsecond\r\nthird")
        events = events_of(from_path(path, region="eu-west-1"))
        assert [(e.message, e.event_id) for e in events] == [
            ("first", f"{path}:1"),
            ("second", f"{path}:3"),
            ("third", f"{path}:4"),
        ]
        assert {(e.log_group, e.log_stream, e.region) for e in events} == {
            ("orders", "orders.log", "eu-west-1")
        }

    def test_plain_text_gz_and_log_group_argument(self, tmp_path: Path) -> None:
        """A .gz text file inflates; the stream drops .gz; --log-group names the group."""
        path = tmp_path / "orders.log.gz"
        path.write_bytes(gzip.compress(b"a\nb\n"))
        events = events_of(from_path(path, log_group="/ecs/orders"))
        assert [(e.message, e.log_group, e.log_stream) for e in events] == [
            ("a", "/ecs/orders", "orders.log"),
            ("b", "/ecs/orders", "orders.log"),
        ]

    def test_ids_are_stable_across_replays(self, tmp_path: Path) -> None:
        """Reading the same file twice gives identical events."""
        path = tmp_path / "app.log"
        path.write_text("x\ny\n")
        assert list(from_path(path)) == list(from_path(path))

    def test_multi_member_gzip(self, tmp_path: Path) -> None:
        """Concatenated gzip members (appended log rotation) read as one stream."""
        path = tmp_path / "app.log.gz"
        path.write_bytes(gzip.compress(b"one\n") + gzip.compress(b"two\n"))
        assert [e.message for e in events_of(from_path(path))] == ["one", "two"]

    def test_structured_json_lines(self, tmp_path: Path) -> None:
        """Each JSON line is one event with the line as message and its time field;
        a stray non-JSON line (a panic) is kept and takes the previous time."""
        lines = [
            '{"level":"error","timestamp":"2024-05-01T12:00:00.250Z","msg":"a"}',
            '{"@timestamp":"2024-05-01T12:00:01+00:00","message":"b"}',
            '{"time":1714564802000,"msg":"pino ms"}',
            '{"ts":1714564803.5,"msg":"zap seconds"}',
            "panic: runtime error: index out of range [3] with length 3",
            '{"ts":"1714564805","msg":"string seconds"}',
        ]
        path = tmp_path / "app.jsonl"
        path.write_text("\n".join(lines) + "\n")
        events = events_of(from_path(path))
        assert [e.message for e in events] == lines
        assert [e.timestamp - 1714564800000 for e in events] == [250, 1000, 2000, 3500, 3500, 5000]
        assert events[4].event_id == f"{path}:5"
        assert detect_format(path) == "json-lines"

    def test_json_lines_of_dump_entries(self, tmp_path: Path) -> None:
        """`jq -c '.events[]'` output: each line is a CloudWatch event with its own stream."""
        path = tmp_path / "events.jsonl"
        path.write_text("\n".join(json.dumps(dump_event(i)) for i in range(2)) + "\n")
        events = events_of(from_path(path, log_group="/g"))
        assert [(e.log_stream, e.event_id, e.log_group) for e in events] == [
            ("stream-0", f"{0:056d}", "/g"),
            ("stream-1", f"{1:056d}", "/g"),
        ]

    def test_json_lines_of_lambda_events(self, tmp_path: Path) -> None:
        """Lines of Lambda and Kinesis events decode; an invalid line is a problem."""
        kinesis = {"Records": [kinesis_record(b64(payload("k")), "9")]}
        lines = [json.dumps(lambda_event(payload("a"))), "{broken", json.dumps(kinesis)]
        path = tmp_path / "events.jsonl"
        path.write_text("\n".join(lines) + "\n")
        items = list(from_path(path))
        assert [(e.message, e.batch_item) for e in events_of(items)] == [("a", ""), ("k", "9")]
        assert problems_of(items) == [
            InputProblem(f"{path}: line 2", "invalid JSON; the line is skipped")
        ]
        assert events_of(items)[1].source == f"{path}: line 3: Records[0] (seq 9): logEvents[0]"
        assert detect_format(path) == "aws-json-lines"

    def test_structured_line_among_lambda_events_is_cut(self, tmp_path: Path) -> None:
        """Lines of an AWS JSON lines file may be long, but an application line among
        them is still cut at max_line_bytes."""
        long_line = json.dumps({"msg": "y" * 500})
        path = tmp_path / "mixed.jsonl"
        path.write_text(json.dumps(lambda_event(payload("a"))) + "\n" + long_line + "\n")
        events = events_of(from_path(path, max_line_bytes=100))
        assert len(events) == 2
        assert events[0].message == "a"
        assert events[1].message == long_line[:100] + (
            f" [logship: line cut at 100 bytes, {len(long_line) - 100} more dropped]"
        )

    def test_s3_export(self, tmp_path: Path) -> None:
        """An export chunk <task>/<stream>/000000.gz: times from the lines, stream from
        the folder; a line without a time continues the previous event's time."""
        folder = tmp_path / "exportedlogs" / "task-1234" / "orders-api-7f"
        folder.mkdir(parents=True)
        path = folder / "000000.gz"
        path.write_bytes(
            gzip.compress(
                b"2024-05-01T12:00:00.000Z started\n"
                b"2024-05-01T12:00:01.500Z java.lang.IllegalStateException: boom\n"
                b"\tat com.shop.Orders.place(Orders.java:42)\n"
            )
        )
        events = events_of(from_path(path, log_group="/ecs/orders"))
        assert [(e.message, e.timestamp) for e in events] == [
            ("started", 1714564800000),
            ("java.lang.IllegalStateException: boom", 1714564801500),
            ("\tat com.shop.Orders.place(Orders.java:42)", 1714564801500),
        ]
        assert {(e.log_group, e.log_stream) for e in events} == {("/ecs/orders", "orders-api-7f")}
        assert detect_format(path) == "s3-export.gz"

    def test_long_line_is_cut_and_marked(self, tmp_path: Path) -> None:
        """A line over max_line_bytes is cut at a character boundary and says so."""
        path = tmp_path / "app.log"
        path.write_text("short\n" + "é" * 100 + "\nafter\n", encoding="utf-8")
        events = events_of(from_path(path, max_line_bytes=51))
        assert [e.message for e in events][0::2] == ["short", "after"]
        assert events[1].message == "é" * 25 + " [logship: line cut at 51 bytes, 150 more dropped]"

    def test_gz_file_without_newlines_is_bounded(self, tmp_path: Path) -> None:
        """A .gz inflating to 32 MB with no newline: one cut event, memory stays small."""
        path = tmp_path / "bomb.log.gz"
        path.write_bytes(gzip.compress(b"a" * (32 * 1024 * 1024)))
        tracemalloc.start()
        try:
            events = events_of(from_path(path, max_line_bytes=1024 * 1024))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert len(events) == 1
        assert events[0].message.endswith("bytes, 32505856 more dropped]")
        assert peak < 8 * 1024 * 1024

    def test_non_utf8_lines_are_replaced_and_noted_once(self, tmp_path: Path) -> None:
        """Latin-1 lines keep their events (U+FFFD) and add one note that loses nothing."""
        path = tmp_path / "latin.log"
        path.write_bytes(b"ok\ncaf\xe9\nna\xefve\n")
        items = list(from_path(path))
        assert [e.message for e in events_of(items)] == ["ok", "caf\ufffd", "na\ufffdve"]
        assert problems_of(items) == [
            InputProblem(
                f"{path}: line 2",
                "bytes that are not UTF-8 were replaced with U+FFFD in 2 line(s),"
                " the first at line 2",
                events_lost=0,
            )
        ]


class TestFromPathProblems:
    def test_missing_file(self, tmp_path: Path) -> None:
        """A file that does not exist is one problem naming it."""
        path = tmp_path / "nope.log"
        assert list(from_path(path)) == [
            InputProblem(str(path), "cannot open: No such file or directory")
        ]

    def test_truncated_gz_keeps_earlier_lines(self, tmp_path: Path) -> None:
        """A .gz cut short yields the lines read so far, then a problem with the byte."""
        lines = b"".join(
            b"line %d %s\n" % (i, bytes(range(65, 91)) * (i % 7)) for i in range(50_000)
        )
        data = gzip.compress(lines)
        path = tmp_path / "orders.json.gz"
        path.write_bytes(data[: len(data) // 2])
        items = list(from_path(path))
        events = events_of(items)
        assert 1000 < len(events) < 50_000
        assert events[0].message == "line 0 "
        (problem,) = problems_of(items)
        assert problem.source == f"{path}: byte {len(data) // 2}"
        assert problem.reason.startswith("truncated gzip")

    def test_corrupt_gz(self, tmp_path: Path) -> None:
        """Garbage inside the deflate stream is named as corrupt gzip with a position."""
        data = bytearray(gzip.compress(b"hello world\n" * 10_000))
        data[40:60] = b"\xff" * 20
        path = tmp_path / "bad.log.gz"
        path.write_bytes(bytes(data))
        (problem,) = problems_of(from_path(path))
        assert problem.source.startswith(f"{path}: byte ")
        assert problem.reason.startswith("corrupt gzip data")

    def test_directory(self, tmp_path: Path) -> None:
        """A directory is not readable input; the problem says why."""
        (problem,) = from_path(tmp_path)
        assert isinstance(problem, InputProblem)
        assert problem.source == str(tmp_path)
        assert "directory" in problem.reason.lower()


class _Generated(io.RawIOBase):
    """A byte stream produced lazily by a generator, counting what was produced."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = b""
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self.produced += len(chunk)
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _dump_chunks(count: int) -> Iterator[bytes]:
    yield b'{\n    "events": [\n'
    for index in range(count):
        entry = json.dumps(dump_event(index, message="ERROR " + "x" * 2000))
        yield f"        {entry}{',' if index < count - 1 else ''}\n".encode()
    yield b'    ],\n    "searchedLogStreams": []\n}\n'


class TestStreaming:
    @pytest.mark.slow
    def test_dump_is_consumed_incrementally(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A ~50 MB dump fed through stdin by a generator: the first event comes out
        after a few chunks, and the peak memory is a small fraction of the size."""
        count = 25_000  # of 2 KB: few objects, so tracemalloc stays fast
        stream = _Generated(_dump_chunks(count))
        monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BufferedReader(stream)))
        items = from_path("-")
        tracemalloc.start()
        try:
            first = next(items)
            produced_at_first = stream.produced
            total = 1 + sum(1 for _ in items)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert isinstance(first, LogEvent)
        assert first.source == "stdin: events[0]"
        assert total == count
        assert stream.produced > 45_000_000
        assert produced_at_first < 512 * 1024
        assert peak < stream.produced / 20


class TestStdin:
    def test_stdin_text(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """ "-" reads stdin; the stream is named stdin."""
        data = io.BufferedReader(io.BytesIO(b"hello\nworld\n"))
        monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=data))
        events = events_of(from_path("-", log_group="/g"))
        assert [(e.message, e.event_id, e.log_stream, e.log_group) for e in events] == [
            ("hello", "stdin:1", "stdin", "/g"),
            ("world", "stdin:2", "stdin", "/g"),
        ]

    def test_gzip_dump_piped_to_a_real_process(self) -> None:
        """`gzip -c dump.json | python ...` works: gzip detected on a real pipe."""
        dump = gzip.compress((EVENTS / "filter_log_events.json").read_bytes())
        code = (
            "from logship.decode import from_path\n"
            "for item in from_path('-', log_group='/p'): print(type(item).__name__, item.source)"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            input=dump,
            capture_output=True,
            cwd=REPO,
            check=True,
            timeout=60,
        )
        assert result.stdout.decode().splitlines() == [
            f"LogEvent stdin: events[{i}]" for i in range(3)
        ]


class TestClassify:
    @pytest.mark.parametrize(
        ("head", "expected"),
        [
            (b'{\n  "events": [', Format.JSON_DOCUMENT),
            (b'{"awslogs": {"data": "x"}}\n', Format.AWS_JSON_LINES),
            (b'{"level": "info"}\n{"level"', Format.JSON_LINES),
            (b"\xef\xbb\xbf2024-05-01T12:00:00.000Z hi\n", Format.S3_EXPORT),
            (b"2024-05-01 12:00:00 INFO hi\n", Format.TEXT),
            (b"", Format.TEXT),
            (b'{"a": 1,\n "b": 2}', Format.JSON_DOCUMENT),
            (b'{"events": [\n{"message": "m"}', Format.JSON_DOCUMENT),
            (b'{"level": "info", broken\n{"level": "error"}\n', Format.JSON_LINES),
        ],
    )
    def test_formats(self, head: bytes, expected: Format) -> None:
        """The head of the input decides the format."""
        assert classify(head, at_end=True) is expected

    def test_a_first_line_longer_than_the_head(self) -> None:
        """A compact one-line dump is a document when AWS keys show in the head."""
        assert classify(b'{"events": [' + b"x" * 100, at_end=False) is Format.JSON_DOCUMENT
        assert classify(b'{"msg": "' + b"x" * 100, at_end=False) is Format.JSON_LINES

    def test_default_limit(self) -> None:
        """The documented default per-payload limit is 64 MiB."""
        assert DEFAULT_MAX_INFLATED == 64 * 1024 * 1024
