"""Tests for logship.parse (the dispatcher): levels, service names, in-app marking."""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logship.config import Config
from logship.config.rules import ServiceMapping
from logship.parse import (
    find_trace,
    go,
    parse_record,
    php,
    python,
    ruby,
    service_name,
    split_uncaught,
)
from logship.parse._limits import MAX_EXCEPTIONS
from logship.records import LogRecord

TRACES = Path(__file__).parent.parent / "fixtures" / "traces"


def _record(text: str, group: str = "/ecs/order-service", stream: str = "ecs/order/1") -> LogRecord:
    return LogRecord(
        log_group=group,
        log_stream=stream,
        owner="123456789012",
        region="eu-west-1",
        timestamp=1_700_000_000_000,
        event_ids=("1",),
        lines=tuple(text.split("\n")),
    )


def _fixture(language: str, name: str) -> str:
    return (TRACES / language / name).read_text()


class TestLevels:
    def test_info_line_with_a_trace_is_not_an_error(self) -> None:
        """INFO/DEBUG entries never become errors, even when they carry a trace."""
        trace = _fixture("java", "chained_socket_timeout.txt")
        text = "2024-05-01 12:00:00.123 INFO  [main] c.s.Order - retrying\n" + trace
        assert parse_record(_record(text), Config()) is None

    def test_error_line_without_trace_is_an_untyped_error(self) -> None:
        """An ERROR line is an error even without an exception."""
        error = parse_record(
            _record("2024-05-01 12:00:00.123 ERROR [main] c.s.Order - stock below zero"), Config()
        )
        assert error is not None
        assert error.chain == ()
        assert error.message == "stock below zero"
        assert error.level == "error"

    def test_plain_line_without_level_or_trace_is_not_an_error(self) -> None:
        """Text that says nothing is wrong is not reported."""
        assert parse_record(_record("listening on :8080"), Config()) is None

    def test_uncaught_trace_without_prefix_is_an_error(self) -> None:
        """A runtime's crash output has no log prefix and is still an error."""
        error = parse_record(_record(_fixture("python", "raise_from_timeout.txt")), Config())
        assert error is not None
        assert error.language == "python"
        assert error.message  # the trace supplies the message

    def test_php_warning_ranks_below_error(self) -> None:
        """PHP warnings have the shape of fatal errors but are warnings."""
        text = _fixture("php", "warning.txt")
        assert parse_record(_record(text), Config()) is None
        warning = parse_record(_record(text), Config(min_level="warning"))
        assert warning is not None
        assert warning.level == "warning"

    def test_min_level_warning_admits_warn_lines(self) -> None:
        """The threshold is configurable."""
        text = "2024-05-01 12:00:00.123 WARN  [main] c.s.Order - slow query"
        assert parse_record(_record(text), Config()) is None
        assert parse_record(_record(text), Config(min_level="warning")) is not None

    def test_go_panic_is_fatal(self) -> None:
        """An unrecovered panic ends the process."""
        error = parse_record(_record(_fixture("go", "nil_pointer.txt")), Config())
        assert error is not None
        assert error.level == "fatal"

    def test_recovered_http_panic_is_an_error(self) -> None:
        """net/http recovers its handlers' panics; the service keeps running."""
        error = parse_record(_record(_fixture("go", "http_handler.txt")), Config())
        assert error is not None
        assert error.level == "error"


class TestServiceName:
    @pytest.mark.parametrize(
        ("group", "stream", "expected"),
        [
            ("/ecs/order-service", "ecs/order/abc", "order-service"),
            ("/aws/lambda/shop-notifier", "2024/05/01/[$LATEST]abc", "shop-notifier"),
            ("payments", "s", "payments"),
            ("/aws/other", "ecs/member-service/1f2e", "member-service"),
        ],
    )
    def test_from_log_group_then_stream(self, group: str, stream: str, expected: str) -> None:
        """Log group conventions first, then the awslogs stream prefix."""
        assert service_name(_record("", group, stream), "", Config()) == expected

    def test_json_field_beats_log_group(self) -> None:
        """A service named in the log line itself wins over the log group."""
        assert service_name(_record(""), "cart", Config()) == "cart"

    def test_config_mapping_beats_everything(self) -> None:
        """The config's mapping is the override."""
        config = Config(services=(ServiceMapping("/ecs/order-*", "orders"),))
        assert service_name(_record(""), "cart", config) == "orders"

    def test_stream_mapping(self) -> None:
        """Mappings can match the stream of a shared log group."""
        config = Config(services=(ServiceMapping("web/*", "checkout-web", "log_stream"),))
        assert service_name(_record("", "/ecs/shared", "web/x/1"), "", config) == "checkout-web"


class TestInApp:
    def test_configured_prefixes_replace_the_heuristic(self) -> None:
        """With in_app prefixes, exactly the matching frames are the app's."""
        text = _fixture("java", "chained_socket_timeout.txt")
        error = parse_record(_record(text), Config(in_app_prefixes=("java.net.",)))
        assert error is not None
        frames = [frame for exc in error.chain for frame in exc.frames]
        assert frames
        assert all(frame.in_app == frame.module.startswith("java.net.") for frame in frames)


class TestFindTrace:
    @pytest.mark.parametrize("language", ["java", "python", "node", "go", "dotnet", "ruby", "php"])
    def test_every_fixture_is_claimed_by_its_own_language(self, language: str) -> None:
        """The dispatcher's order never lets one language claim another's trace."""
        for path in sorted((TRACES / language).glob("*.txt")):
            trace = find_trace(path.read_text())
            if trace is not None:
                assert trace.language == language, path.name

    def test_text_without_any_marker_is_rejected(self) -> None:
        """Trace-less text never reaches a language parser."""
        assert find_trace("GET /health 200 3ms") is None


class TestDeepChains:
    def test_thousand_deep_java_chain_keeps_its_root_cause(self) -> None:
        """A 1,000-deep Java chain's root cause (a fingerprint part) is the real innermost type."""
        with gzip.open(TRACES / "java" / "deep_chain_socket_timeout.txt.gz", "rt") as handle:
            text = handle.read()
        error = parse_record(_record(text.rstrip("\n")), Config())
        assert error is not None
        assert error.language == "java"
        assert error.exception_type == "java.lang.RuntimeException"
        assert error.root_cause_type == "java.net.SocketTimeoutException"
        assert error.message == "retry level 999 failed"
        assert len(error.chain) == MAX_EXCEPTIONS

    @pytest.mark.parametrize(
        ("language", "name", "root_type"),
        [
            ("dotnet", "mono_deep_chain.txt.gz", "System.FormatException"),
            ("node", "deep_cause_inspect.txt.gz", "SyntaxError"),
            ("php", "deep_chain.txt.gz", "JsonException"),
            ("ruby", "deep_chain.txt.gz", "JSON::ParserError"),
        ],
    )
    def test_deep_fixtures_are_claimed_with_their_root_cause(
        self, language: str, name: str, root_type: str
    ) -> None:
        """The gzipped deep-chain captures go to their own parser, which keeps the root."""
        with gzip.open(TRACES / language / name, "rt") as handle:
            trace = find_trace(handle.read())
        assert trace is not None
        assert trace.language == language
        assert trace.chain[-1].type == root_type


def _fixture_texts() -> list[str]:
    """Every trace fixture of every runtime, the JSON lines' stacks included, as text."""
    texts = []
    for path in sorted(TRACES.rglob("*")):
        if path.suffix == ".gz":
            texts.append(gzip.decompress(path.read_bytes()).decode("utf-8", "replace"))
        elif path.suffix in (".txt", ".jsonl") and "programs" not in path.parts:
            texts.append(path.read_text("utf-8", "replace"))
    return texts


FIXTURE_TEXTS = _fixture_texts()
FIXTURE_LINES = sorted({line for text in FIXTURE_TEXTS for line in text.split("\n")[:60]})
# The parsers whose parse() turns away, unsplit, a text without their words.
PREFILTERED = (python, go, php, ruby)


class TestLanguagePrefilters:
    @pytest.mark.parametrize("module", PREFILTERED, ids=lambda module: module.__name__)
    def test_fixtures_give_the_same_trace(self, module: object) -> None:
        """Over every fixture of every runtime, parse() equals the parse without the word check."""
        assert len(FIXTURE_TEXTS) > 60
        for text in FIXTURE_TEXTS:
            assert module.parse(text) == module._parse(text)  # type: ignore[attr-defined]

    @settings(max_examples=300, deadline=None)
    @given(
        lines=st.lists(st.sampled_from(FIXTURE_LINES) | st.text(max_size=20), max_size=12),
        separator=st.sampled_from(["\n", "\r\n", "\r", "\x0b", "\u2028", "\n\n"]),
        module=st.sampled_from(PREFILTERED),
    )
    def test_generated_texts_give_the_same_trace(
        self, lines: list[str], separator: str, module: object
    ) -> None:
        """Fixture lines of every runtime, shuffled and joined by any line break: same result."""
        text = separator.join(lines)
        assert module.parse(text) == module._parse(text)  # type: ignore[attr-defined]


FORMATS = Path(__file__).parent.parent / "formats"


def _format_line(name: str, number: int) -> str:
    """Line ``number`` (0-based) of what a framework printed (``tests/formats``)."""
    return (FORMATS / name / "output.log").read_text(encoding="utf-8").splitlines()[number]


class TestFormatsInTheWild:
    """Records of the issue 13 framework fixtures (``tests/formats``)."""

    def test_winston_simple_stack_in_trailing_json(self) -> None:
        """winston 'simple': 'error: msg {json}', the stack in the JSON, the service the logger."""
        line = next(
            text
            for text in (FORMATS / "winston-simple" / "output.log").read_text().splitlines()
            if text.startswith("error: ") and '"stack"' in text
        )
        error = parse_record(_record(line), Config())
        assert error is not None
        assert [exc.type for exc in error.chain][:1] == ["Error"]
        assert error.logger == "payment-service"
        assert "{" not in error.message

    def test_winston_simple_info_is_not_an_error(self) -> None:
        """'info: msg {json}' is an INFO line."""
        assert parse_record(_record(_format_line("winston-simple", 0)), Config()) is None

    @pytest.mark.parametrize(("name", "number"), [("go-slog-text", 5), ("go-slog-json", 5)])
    def test_go_error_attribute_joins_the_message(self, name: str, number: int) -> None:
        """slog's 'err' attribute is part of the message: Go's 'msg: err'."""
        error = parse_record(_record(_format_line(name, number)), Config())
        assert error is not None
        assert error.message.startswith("payment failed: charge order 1001: ")
        assert error.message.endswith("i/o timeout")

    def test_winston_json_service_is_the_logger(self) -> None:
        """winston's defaultMeta {service} names the logger when no logger field does."""
        line = next(
            text
            for text in (FORMATS / "winston-json" / "output.log").read_text().splitlines()
            if '"level":"error"' in text
        )
        error = parse_record(_record(line), Config())
        assert error is not None
        assert error.logger == "payment-service"


def _lines_record(lines: list[str]) -> LogRecord:
    """A record of one event per line."""
    return LogRecord(
        log_group="/ecs/payment-service",
        log_stream="ecs/payment/1",
        owner="123456789012",
        region="eu-west-1",
        timestamp=1_700_000_000_000,
        event_ids=tuple(str(i) for i in range(len(lines))),
        lines=tuple(lines),
    )


def _format_lines(name: str, first: int, last: int) -> list[str]:
    lines = (FORMATS / name / "output.log").read_text(encoding="utf-8").splitlines()
    return lines[first : last + 1]


class TestSplitUncaught:
    """An ERROR line and the uncaught Python crash the assembler joined to it."""

    def test_crash_after_an_error_line_is_split(self) -> None:
        """python-basicconfig: the untyped ERROR line, then the interpreter's traceback."""
        lines = _format_lines("python-basicconfig", 54, 68)
        head, crash = split_uncaught(_lines_record(lines))
        assert head.lines == (lines[0],)
        assert head.event_ids == ("0",)
        assert crash.lines == tuple(lines[1:])
        assert crash.event_ids[0] == "1"

    def test_logged_trace_is_not_split(self) -> None:
        """logger.exception inside a function: the traceback starts where it was caught."""
        lines = _format_lines("python-basicconfig", 38, 52)
        assert lines[1] == "Traceback (most recent call last):"
        record = _lines_record(lines)
        assert split_uncaught(record) == (record,)

    def test_loguru_trace_is_not_split(self) -> None:
        """loguru prints frames above the catch (from <module>), with a blank line first."""
        text = (Path(__file__).parent / "samples" / "loguru" / "output.log").read_text()
        lines = text.splitlines()[4:53]
        record = _lines_record(lines)
        assert split_uncaught(record) == (record,)

    def test_module_level_logger_exception_is_split_too(self) -> None:
        """The trade-off: logger.exception at module level reads like a crash and is split."""
        lines = [
            "ERROR:jobs:nightly settlement failed",
            "Traceback (most recent call last):",
            '  File "/app/job.py", line 12, in <module>',
            "    main()",
            "ValueError: bad amount",
        ]
        assert len(split_uncaught(_lines_record(lines))) == 2

    def test_multi_line_events_are_never_split(self) -> None:
        """Without one event per line the split could not say which event is which."""
        lines = _format_lines("python-basicconfig", 54, 68)
        record = replace(_lines_record(lines), event_ids=("0",))
        assert split_uncaught(record) == (record,)
