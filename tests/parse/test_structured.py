"""Tests for logship.parse.structured on lines written by real JSON loggers.

Fixtures (fixtures/traces/structured, see regenerate.sh there): pino 9, structlog
(format_exc_info and dict_tracebacks), ecs-logging 2.3.0, the AWS Lambda Python
runtime's JSON format (awslambdaric 4.2.2), and a Java program writing
logstash-logback-encoder's documented field layout with a real stack trace.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logship.parse import find_trace, structured
from logship.parse.line import LEVELS, normalize_level
from logship.parse.structured import (
    StructuredLine,
    json_object,
    level_from_field,
    parse_structured,
)
from logship.records import Relation

FIXTURES = Path(__file__).parent.parent / "fixtures" / "traces" / "structured"


def line(name: str, **fields: object) -> str:
    """The line of fixture ``name`` whose JSON has all of ``fields`` (loggers may reorder lines)."""
    for text in (FIXTURES / name).read_text().splitlines():
        data = json.loads(text)
        if all(data.get(key) == value for key, value in fields.items()):
            return text
    raise LookupError(f"no line with {fields} in {name}")


def parsed(name: str, **fields: object) -> StructuredLine:
    result = parse_structured(line(name, **fields))
    assert result is not None
    return result


class TestParseStructured:
    def test_pino_error_with_request(self) -> None:
        """pino: numeric level, msg, name, base service, err.*, pino-http's req fields."""
        result = parsed("pino.jsonl", msg="Failed to charge order 42")
        assert result.level == "error"
        assert result.message == "Failed to charge order 42"
        assert result.logger == "checkout-api"
        assert result.service == "checkout"
        assert result.error_type == "Error"
        assert result.error_message.startswith("payment failed for order 42")
        assert result.stack.startswith("Error: payment failed for order 42\n    at chargeCard")
        assert result.context.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert result.context.url == "/api/orders/42/charge?retry=1"
        assert result.context.http_method == "POST"
        assert result.context.user_agent == "shop-mobile/3.1 (iOS 17)"

    def test_pino_stack_parses_with_causes(self) -> None:
        """The err.stack pino writes is a Node trace with a "caused by:" chain."""
        trace = find_trace(parsed("pino.jsonl", msg="rates service unreachable").stack)
        assert trace is not None
        assert trace.language == "node"
        assert [(e.type, e.relation) for e in trace.chain] == [
            ("TypeError", None),
            ("Error", Relation.CAUSE),
        ]

    @pytest.mark.parametrize(
        ("message", "level"),
        [
            ("invalid logger configuration", "error"),
            ("request received", "info"),
            ("slow request", "warning"),
            ("shutting down: database pool exhausted", "fatal"),
        ],
    )
    def test_pino_levels(self, message: str, level: str) -> None:
        """pino's numbers map onto logship's level names."""
        assert parsed("pino.jsonl", msg=message).level == level

    def test_structlog_format_exc_info(self) -> None:
        """structlog: event is the message, exception the traceback string, context bound."""
        result = parsed("structlog.jsonl", import_id="imp-1")
        assert (result.level, result.message, result.logger, result.service) == (
            "error",
            "Failed to import order",
            "orders.importer",
            "orders",
        )
        assert result.context.trace_id == "0af7651916cd43dd8448eb211c80319c"
        assert result.context.request_id == "req-7f3a9c"
        assert result.context.url == "/api/orders/import"
        assert result.context.http_method == "POST"
        trace = find_trace(result.stack)
        assert trace is not None
        assert [e.type for e in trace.chain] == ["RuntimeError", "json.decoder.JSONDecodeError"]

    def test_structlog_dict_tracebacks_rebuilt(self) -> None:
        """dict_tracebacks' list becomes the traceback Python would print, chain intact."""
        result = parsed("structlog.jsonl", import_id="imp-2")
        trace = find_trace(result.stack)
        assert trace is not None
        assert trace.language == "python"
        assert [(e.type, e.relation) for e in trace.chain] == [
            ("RuntimeError", None),
            ("JSONDecodeError", Relation.CAUSE),
        ]
        outer, cause = trace.chain
        assert outer.message == "cannot import order"
        assert [(f.function, f.lineno) for f in outer.frames] == [
            ("<module>", 57),
            ("import_order", 35),
        ]
        assert cause.message.startswith("Expecting property name enclosed in double quotes")
        assert len(cause.frames) == 5
        assert not cause.frames[-1].in_app

    def test_structlog_info_and_warning(self) -> None:
        """Lines without an exception have no stack and keep their level."""
        started = parsed("structlog.jsonl", event="import started")
        assert (started.level, started.stack) == ("info", "")
        assert parsed("structlog.jsonl", event="retrying import").level == "warning"

    def test_ecs_fields_nested_and_dotted(self) -> None:
        """ECS: "log.level" as a flat key, log.logger nested, http/url/user_agent nested."""
        result = parsed("ecs.jsonl", message="Failed to charge card")
        assert (result.level, result.message, result.logger) == (
            "error",
            "Failed to charge card",
            "payments.gateway",
        )
        assert (result.error_type, result.error_message) == (
            "ValueError",
            "invalid literal for int() with base 10: '12.50 EUR'",
        )
        assert result.context.trace_id == "5b8aa5a2d2c872e8321cf37308d69df2"
        assert result.context.url == "https://shop.example/api/payments"
        assert result.context.http_method == "POST"
        assert result.context.user_agent == "curl/8.5.0"

    def test_ecs_python_frames_get_header_and_type_back(self) -> None:
        """ecs-logging keeps only the frames; the rebuilt text parses as a Python trace."""
        trace = find_trace(parsed("ecs.jsonl", message="Failed to charge card").stack)
        assert trace is not None
        (exc,) = trace.chain
        assert (exc.type, exc.message) == (
            "ValueError",
            "invalid literal for int() with base 10: '12.50 EUR'",
        )
        assert [f.function for f in exc.frames] == ["<module>", "parse_amount"]

    def test_logstash_logback_encoder_layout(self) -> None:
        """logstash-logback-encoder: logger_name, stack_trace, MDC traceId/requestId."""
        result = parsed("logstash.jsonl", message="Failed to charge order 42")
        assert (result.level, result.message, result.logger, result.service) == (
            "error",
            "Failed to charge order 42",
            "com.shop.orders.OrderService",
            "orders",
        )
        assert result.stack.startswith("java.lang.IllegalStateException: quote service failed")
        assert result.context.trace_id == "6e0c63257de34c92bf9efcd03927272e"
        assert result.context.request_id == "c2f1a6e0-5b3c-4d7e-9a41-0d6f2b8e1c55"
        assert parsed("logstash.jsonl", message="Charging order 42").level == "info"

    def test_lambda_python_logger_exception(self) -> None:
        """Lambda's JSON format: errorType/errorMessage and format_tb lines in stackTrace."""
        result = parsed("lambda_python.jsonl", message="Failed to process order")
        assert (result.level, result.message, result.logger) == (
            "error",
            "Failed to process order",
            "orders.handler",
        )
        assert (result.error_type, result.error_message) == (
            "ValueError",
            "invalid literal for int() with base 10: 'two'",
        )
        assert result.context.request_id == "8f507cfc-1a2b-4697-b07a-ac58fc914c95"
        trace = find_trace(result.stack)
        assert trace is not None
        (exc,) = trace.chain
        assert exc.type == "ValueError"
        assert [f.function for f in exc.frames] == ["<module>", "lambda_handler", "parse_quantity"]

    def test_lambda_python_uncaught_error(self) -> None:
        """The runtime's own report of an uncaught handler error: no message field."""
        result = parsed("lambda_python.jsonl", errorType="KeyError")
        assert (result.level, result.message) == ("error", "")
        trace = find_trace(result.stack)
        assert trace is not None
        assert (trace.chain[0].type, trace.chain[0].message) == ("KeyError", "'quantity'")
        assert [f.lineno for f in trace.chain[0].frames] == [43, 32]

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "plain text ERROR line",
            "[1, 2, 3]",
            '{"level": "error", "msg": "unterminated',
            "{not json}",
            '"a string"',
            "{}" + "x",
        ],
    )
    def test_not_one_json_object(self, text: str) -> None:
        """Anything but one JSON object is left to the text parsers."""
        assert parse_structured(text) is None

    def test_empty_object_says_nothing(self) -> None:
        """An object without known fields gives empty fields, not an error."""
        result = parse_structured("{}")
        assert result is not None
        assert (result.level, result.message, result.stack, bool(result.context)) == (
            "",
            "",
            "",
            False,
        )

    def test_odd_field_types_are_ignored(self) -> None:
        """Lists, objects, booleans and nulls where text is expected are skipped."""
        text = json.dumps(
            {
                "level": True,
                "message": {"nested": 1},
                "logger": None,
                "service": {"name": "billing"},
                "err": "not an object",
                "url": {"full": "https://x.test/a"},
                "dd": {"trace_id": 1234567890123},
            }
        )
        result = parse_structured(text)
        assert result is not None
        assert (result.level, result.message, result.logger, result.service) == (
            "",
            "",
            "",
            "billing",
        )
        assert result.context.url == "https://x.test/a"
        assert result.context.trace_id == "1234567890123"

    def test_deeply_nested_json_does_not_crash(self) -> None:
        """JSON nested past the recursion limit is refused, not raised."""
        assert parse_structured("{" + '"a":{' * 100_000 + "}" * 100_001) is None


class TestLevelFromField:
    @pytest.mark.parametrize(
        ("value", "level"),
        [
            (10, "trace"),
            (20, "debug"),
            (30, "info"),
            (40, "warning"),
            (50, "error"),
            (60, "fatal"),
            ("WARN", "warning"),
            ("Information", "info"),
            ("CRITICAL", "fatal"),
            ("DEFAULT", "info"),
            ("severe", "error"),
            ("nonsense", ""),
            (None, ""),
            (True, ""),
        ],
    )
    def test_names_and_numbers(self, value: object, level: str) -> None:
        """Level names of every logger and pino's numbers normalise to LEVELS."""
        assert level_from_field(value) == level


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["level", "msg", "err", "error", "stack", "message", "req", "url", "a.b"]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


class TestRobustness:
    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(st.text(max_size=12), _JSON, max_size=8))
    def test_any_json_object_never_raises(self, data: dict[str, object]) -> None:
        """Any JSON object gives a StructuredLine with string fields."""
        result = parse_structured(json.dumps(data))
        assert result is not None
        assert all(
            isinstance(value, str)
            for value in (result.level, result.message, result.stack, result.error_type)
        )


def _json_object_reference(text: str) -> dict[str, object] | None:
    """json_object as it was written first: json.loads and every check around it."""
    stripped = text.strip()
    if not stripped.startswith("{") or not stripped.endswith("}"):
        return None
    if len(stripped) > structured.MAX_JSON_CHARS:
        return None
    try:
        data = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _text_reference(data: dict[str, object], fields: structured._Fields) -> str:
    """_text without the key-set check: every name looked up in turn."""
    for name in fields.names:
        value = structured._lookup(data, name)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    return ""


def _level_reference(value: object) -> str:
    """level_from_field as it was written first, uncached."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        for ceiling, name in (
            (10, "trace"),
            (20, "debug"),
            (30, "info"),
            (40, "warning"),
            (50, "error"),
        ):
            if value <= ceiling:
                return name
        return "fatal"
    if not isinstance(value, str):
        return ""
    word = value.strip()
    name = normalize_level(word) or {"DEFAULT": "info"}.get(word.upper(), "")
    return name if name in LEVELS else ""


# Keys the lookups read, dotted and nested, and their heads.
_FIELD_NAMES = sorted(
    {
        part
        for fields in vars(structured).values()
        if isinstance(fields, structured._Fields)
        for part in fields.keys
    }
)
_KEYS = st.sampled_from([*_FIELD_NAMES, "other", "log", "a.b"])
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70),
    st.floats(allow_nan=False),
    st.sampled_from(["", "error", " Warn ", "INFO", "default", "x", "E"]),
)
_OBJECTS = st.recursive(
    st.dictionaries(_KEYS, _VALUES, max_size=6),
    lambda children: st.dictionaries(_KEYS, _VALUES | children, max_size=6),
    max_leaves=12,
)


class TestFastPaths:
    @settings(max_examples=300, deadline=None)
    @given(
        data=_JSON,
        before=st.sampled_from(["", " ", "\n", "\u00a0", "\ufeff", "x"]),
        after=st.sampled_from(["", " ", "\t\n", "}", " {}", "\u2028", "]"]),
    )
    def test_json_object_equals_json_loads(self, data: object, before: str, after: str) -> None:
        """raw_decode gives what json.loads and its checks gave, with junk around or not."""
        text = before + json.dumps(data) + after
        assert json_object(text) == _json_object_reference(text)

    @given(text=st.text(alphabet='{}[]":, \n0a', max_size=20))
    def test_json_object_equals_json_loads_on_fragments(self, text: str) -> None:
        """Near-JSON fragments: the same verdict both ways."""
        assert json_object(text) == _json_object_reference(text)

    @settings(max_examples=500, deadline=None)
    @given(data=_OBJECTS)
    def test_text_equals_every_lookup(self, data: dict[str, object]) -> None:
        """Skipping an object holding none of the keys changes no field's text."""
        for fields in vars(structured).values():
            if isinstance(fields, structured._Fields):
                assert structured._text(data, fields) == _text_reference(data, fields)

    @given(value=_VALUES | st.text(max_size=8) | st.integers())
    def test_level_from_field_equals_the_uncached_reading(self, value: object) -> None:
        """The cached word reading and the reordered type checks change no level."""
        assert level_from_field(value) == _level_reference(value)
