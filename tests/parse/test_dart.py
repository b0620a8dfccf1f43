"""Tests for logship.parse.dart.

The fixtures follow the documented Dart VM format, written by hand: no Dart
runtime is available here (see fixtures/traces/dart/README.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from format_scores import replay, through_lambda

from logship.config import Config
from logship.fingerprint import default_fingerprint
from logship.parse import dart, find_trace, parse_record
from logship.parse.dart import UNNAMED_TYPE, type_and_message
from logship.records import LogRecord, ParsedError, Trace

FIXTURES = Path(__file__).parent.parent / "fixtures" / "traces" / "dart"
DART_FIXTURES = sorted(path.name for path in FIXTURES.glob("*.txt"))


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def parsed(name: str) -> Trace:
    trace = dart.parse(fixture(name))
    assert trace is not None, name
    return trace


def parsed_error(text: str) -> ParsedError:
    record = LogRecord(
        log_group="/ecs/shop",
        log_stream="ecs/shop/1",
        owner="123456789012",
        region="eu-west-1",
        timestamp=1_000,
        event_ids=tuple(str(i) for i in range(text.count("\n") + 1)),
        lines=tuple(text.split("\n")),
    )
    error = parse_record(record, Config())
    assert error is not None
    return error


class TestMarker:
    @pytest.mark.parametrize("name", DART_FIXTURES)
    def test_every_fixture_matches(self, name: str) -> None:
        """The cheap pre-filter lets every Dart trace through."""
        assert re.search(dart.MARKER, fixture(name), re.MULTILINE)

    @pytest.mark.parametrize(
        "text",
        [
            "2024-05-01 12:00:00,001 INFO [shop.api] GET /health 200 in 3ms",
            "#0 /app/previous.php(15): readRates('/nonexistent/ra...')",
            "Unhandled exception. System.InvalidOperationException: x",
        ],
    )
    def test_other_text_does_not_match(self, text: str) -> None:
        """A log line, a PHP frame and .NET's crash line are turned away by the marker."""
        assert not re.search(dart.MARKER, text, re.MULTILINE)

    @pytest.mark.parametrize("name", DART_FIXTURES)
    def test_found_by_the_dispatcher_as_dart(self, name: str) -> None:
        """No other language parser claims a Dart trace first."""
        trace = find_trace(fixture(name))
        assert trace is not None
        assert trace.language == "dart"


class TestTypeInference:
    @pytest.mark.parametrize(
        ("name", "exc_type", "message"),
        [
            ("state_error_async.txt", "StateError", "Bad state: order 80023 already shipped"),
            (
                "range_error_index.txt",
                "RangeError",
                "Index out of range: index should be less than 3: 7",
            ),
            (
                "argument_error.txt",
                "ArgumentError",
                "Invalid argument (amount): must be positive: -5",
            ),
            (
                "unsupported_operation.txt",
                "UnsupportedError",
                "Unsupported operation: Cannot add to an unmodifiable list",
            ),
            ("null_check.txt", "TypeError", "Null check operator used on a null value"),
            (
                "type_error.txt",
                "TypeError",
                "type 'Null' is not a subtype of type 'String' in type cast",
            ),
            ("instance_of.txt", "PaymentDeclined", ""),
            ("exception_plain.txt", "Exception", "inventory service answered 503 for SKU-4711"),
            ("integer_division.txt", "IntegerDivisionByZeroException", ""),
            ("dart1_no_columns.txt", "StackOverflowError", "Stack Overflow"),
            ("thrown_string.txt", UNNAMED_TYPE, "payment gateway unreachable after 3 attempts"),
            (
                "timeout.txt",
                "TimeoutException",
                "TimeoutException after 0:00:05.000000: Future not completed",
            ),
        ],
    )
    def test_one_line_shapes(self, name: str, exc_type: str, message: str) -> None:
        """Each toString() shape of the SDK names its type; there is no cause chain."""
        (exc,) = parsed(name).chain
        assert (exc.type, exc.message) == (exc_type, message)
        assert exc.relation is None

    def test_failed_assertion(self) -> None:
        """The VM's "'uri': Failed assertion: ..." is an AssertionError."""
        (exc,) = parsed("assertion.txt").chain
        assert exc.type == "AssertionError"
        assert "'quantity > 0': is not true." in exc.message

    def test_format_exception_keeps_source_and_caret(self) -> None:
        """FormatException's source line and caret stay in the message; the blank line does not."""
        (exc,) = parsed("format_exception.txt").chain
        assert exc.type == "FormatException"
        assert exc.message == "Invalid radix-10 number (at character 3)\n12a4\n  ^"
        assert len(exc.frames) == 4

    def test_no_such_method_keeps_receiver_lines(self) -> None:
        """NoSuchMethodError's "Receiver:" and "Tried calling:" lines belong to its message."""
        (exc,) = parsed("no_such_method.txt").chain
        assert exc.type == "NoSuchMethodError"
        assert exc.message.splitlines() == [
            "Class 'int' has no instance method 'toUpperCase'.",
            "Receiver: 4711",
            "Tried calling: toUpperCase()",
        ]

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            (["Invalid argument(s): amount"], ("ArgumentError", "Invalid argument(s): amount")),
            (["Assertion failed"], ("AssertionError", "Assertion failed")),
            (
                ["Concurrent modification during iteration: Instance of 'List<int>'."],
                ("ConcurrentModificationError", None),
            ),
            (["Out of Memory"], ("OutOfMemoryError", "Out of Memory")),
            (["Exception"], ("Exception", "")),
            (["UnimplementedError"], ("UnimplementedError", "")),
            (
                ["LateInitializationError: Field 'rate' has not been initialized."],
                ("LateInitializationError", "Field 'rate' has not been initialized."),
            ),
            (
                ["SocketException: Connection refused (OS Error: Connection refused, errno = 111)"],
                ("SocketException", None),
            ),
            (["DioException [bad response]: 502"], ("DioException", "502")),
            (["PaymentDeclined: card expired"], ("PaymentDeclined", "card expired")),
            (["Declined"], (UNNAMED_TYPE, "Declined")),
            (["order 42 not found"], (UNNAMED_TYPE, "order 42 not found")),
            ([], (UNNAMED_TYPE, "")),
        ],
    )
    def test_shapes_without_a_fixture(
        self, header: list[str], expected: tuple[str, str | None]
    ) -> None:
        """Known shapes, "Name: message", a lone Error/Exception name, and the rest."""
        exc_type, message = type_and_message(header)
        assert exc_type == expected[0]
        if expected[1] is not None:
            assert message == expected[1]


class TestFrames:
    def test_sentry_order_and_fields(self) -> None:
        """Frames oldest first; function, file, line; async suspensions are not frames."""
        (exc,) = parsed("state_error_async.txt").chain
        assert [f.function for f in exc.frames] == [
            "main",
            "handleRequest",
            "ShipmentHandler.post",
            "OrderService.ship",
        ]
        throwing = exc.frames[-1]
        assert (throwing.module, throwing.filename, throwing.lineno) == (
            "shop",
            "package:shop/src/orders/order_service.dart",
            42,
        )
        assert exc.frames[0].filename == "/app/bin/server.dart"

    def test_in_app(self) -> None:
        """SDK and well-known pub packages are not in-app; the service's package and files are."""
        (exc,) = parsed("state_error_async.txt").chain
        assert [f.in_app for f in exc.frames] == [True, False, True, True]
        (exc,) = parsed("range_error_index.txt").chain
        sdk = [f for f in exc.frames if f.filename.startswith("dart:")]
        assert sdk
        assert not any(f.in_app for f in sdk)
        assert sdk[-1].module == "dart:core"

    def test_frames_without_column_or_line(self) -> None:
        """Dart 1 and AOT print "(uri:line)" or "(uri)": both are frames."""
        trace = dart.parse(
            "Unhandled exception:\nStack Overflow\n"
            "#0      walk (file:///app/lib/tree.dart:12)\n"
            "#1      _startIsolate.<anonymous closure> (dart:isolate-patch/isolate_patch.dart)\n"
        )
        assert trace is not None
        walk, start = trace.chain[0].frames[1], trace.chain[0].frames[0]
        assert (walk.function, walk.lineno) == ("walk", 12)
        assert (start.filename, start.lineno) == ("dart:isolate-patch/isolate_patch.dart", None)

    def test_pub_cache_file_is_not_in_app(self) -> None:
        """A dependency run from the pub cache (file:///root/.pub-cache/...) is not in-app."""
        trace = dart.parse(
            "Unhandled exception:\nBad state: x\n"
            "#0      f (file:///root/.pub-cache/hosted/pub.dev/retry-3.1.2/lib/retry.dart:3:1)\n"
        )
        assert trace is not None
        assert not trace.chain[0].frames[0].in_app


class TestLoggedErrors:
    def test_package_logging_record(self) -> None:
        """A SEVERE line, then the error and its StackTrace printed below it: one error."""
        text = fixture("logging_severe.txt").split("\n")[1:7]
        error = parsed_error("\n".join(text))
        assert error.level == "error"
        assert error.language == "dart"
        (exc,) = error.chain
        assert (exc.type, exc.message) == ("StateError", "Bad state: card of customer 3301 expired")
        assert error.message == "2024-05-01 10:00:03.419207: charge failed for order 57058"

    def test_logged_format_exception(self) -> None:
        """Without the VM's line, the source and caret above the frames still belong to it."""
        text = fixture("format_exception.txt").split("\n", 1)[1]
        (exc,) = parsed_text(text).chain
        assert exc.type == "FormatException"
        assert exc.message.endswith("12a4\n  ^")

    def test_stack_trace_alone_under_a_log_line(self) -> None:
        """A log line with only a StackTrace below names no type: the trace's frames still count."""
        text = (
            "SEVERE: 2024-05-01 10:00:00.000001: sync failed\n"
            "#0      sync (package:shop/s.dart:3:5)"
        )
        (exc,) = parsed_text(text).chain
        assert (exc.type, exc.message) == (UNNAMED_TYPE, "")
        assert len(exc.frames) == 1

    def test_text_without_a_trace(self) -> None:
        """No frame and no VM line: nothing."""
        assert dart.parse("Bad state: x\nsomething else") is None


def parsed_text(text: str) -> Trace:
    trace = dart.parse(text)
    assert trace is not None
    return trace


class TestGrouping:
    def fingerprint(self, name: str) -> tuple[str, ...]:
        return default_fingerprint(parsed_error(fixture(name).rstrip("\n")))

    def test_one_function_two_indexes_one_issue(self) -> None:
        """Two RangeErrors from one function with different indexes and lengths: one issue."""
        assert self.fingerprint("range_error_index.txt") == self.fingerprint(
            "range_error_index_other.txt"
        )

    def test_unnamed_type_keyed_by_its_function(self) -> None:
        """Thrown strings name no type: the function that threw keeps two code paths apart."""
        one = fixture("thrown_string.txt").rstrip("\n")
        other = one.replace("GatewayClient.connect", "StockClient.level")
        first = default_fingerprint(parsed_error(one))
        assert first[1:] == (UNNAMED_TYPE, UNNAMED_TYPE, "at shop.GatewayClient.connect")
        assert first != default_fingerprint(parsed_error(other))

    def test_types_apart(self) -> None:
        """A StateError and a FormatException are two issues."""
        assert self.fingerprint("state_error_async.txt") != self.fingerprint("format_exception.txt")


class TestPipeline:
    """Replay and the Lambda handler, one CloudWatch event per line."""

    NAMES = ("state_error_async.txt", "range_error_index.txt", "range_error_index_other.txt")

    def stream(self) -> tuple[list[str], list[frozenset[int]]]:
        """Crashes after a plain line and an INFO line, and a logged error; the expected errors."""
        lines: list[str] = []
        expected: list[frozenset[int]] = []
        for index, name in enumerate((*self.NAMES, "format_exception.txt", "no_such_method.txt")):
            lines.append(
                "Listening on port 8080"
                if index % 2
                else f"INFO: 2024-05-01 10:00:0{index}.000001: started"
            )
            trace = fixture(name).rstrip("\n").split("\n")
            expected.append(frozenset(range(len(lines), len(lines) + len(trace))))
            lines.extend(trace)
        logged = fixture("logging_severe.txt").rstrip("\n").split("\n")
        expected.append(frozenset(range(len(lines) + 1, len(lines) + 7)))
        lines.extend(logged)
        return lines, expected

    def test_replay_and_lambda_find_each_error_with_its_lines(self) -> None:
        """Both paths report every trace once, with exactly its lines, and agree on fingerprints."""
        lines, expected = self.stream()
        by_replay = replay(lines)
        by_lambda = through_lambda(lines)
        assert sorted((found.lines for found in by_replay), key=min) == expected
        assert {(f.lines, f.fingerprint) for f in by_lambda} == {
            (f.lines, f.fingerprint) for f in by_replay
        }
        prints = {found.lines: found.fingerprint for found in by_replay}
        state, range_one, range_two = (prints[entry] for entry in expected[:3])
        assert range_one == range_two
        assert state != range_one
        assert state[1:3] == ("StateError", "StateError")
