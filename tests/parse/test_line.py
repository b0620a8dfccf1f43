"""Tests for logship.parse.line: the log prefix of a record's first line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logship.parse.line import (
    LEVELS,
    LinePrefix,
    message_before,
    normalize_level,
    parse_head,
    parse_prefix,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "traces"
SAMPLES = Path(__file__).parent / "samples"


def sample_lines(name: str) -> list[str]:
    """The output a sample program printed (``tests/parse/samples``), line by line."""
    return (SAMPLES / name / "output.log").read_text(encoding="utf-8").splitlines()


def first_line(language: str, name: str) -> str:
    return (FIXTURES / language / name).read_text().splitlines()[0]


class TestLevels:
    def test_order(self) -> None:
        """LEVELS runs from least to most severe, as the parse stage compares them."""
        assert LEVELS == ("trace", "debug", "info", "warning", "error", "fatal")

    @pytest.mark.parametrize(
        ("name", "level"),
        [
            ("WARN", "warning"),
            ("warning", "warning"),
            ("ERR", "error"),
            ("Error", "error"),
            ("SEVERE", "error"),
            ("FATAL", "fatal"),
            ("CRITICAL", "fatal"),
            ("CRIT", "fatal"),
            ("PANIC", "fatal"),
            ("EMERG", "fatal"),
            ("ALERT", "fatal"),
            ("INFO", "info"),
            ("NOTICE", "info"),
            ("DEBUG", "debug"),
            ("FINE", "debug"),
            ("FINEST", "debug"),
            ("TRACE", "trace"),
            ("LOUD", ""),
        ],
    )
    def test_normalize(self, name: str, level: str) -> None:
        """Every spelling maps onto one of LEVELS; an unknown word onto ""."""
        assert normalize_level(name) == level


class TestRealFirstLines:
    """First lines of fixtures that real logging libraries wrote."""

    def test_logback_default(self) -> None:
        """logback's '%d %-5level [%thread] %logger{36} - %msg'."""
        assert parse_prefix(first_line("java", "logback_default.txt")) == LinePrefix(
            level="error",
            logger="com.example.shop.LogbackDemo",
            message="Failed to place order 123",
            thread="http-nio-8080-exec-1",
        )

    def test_spring_boot_3(self) -> None:
        """Spring Boot 3.2: '--- [app] [thread] logger : msg' with a padded logger."""
        assert parse_prefix(first_line("java", "spring_boot.txt")) == LinePrefix(
            level="error",
            logger="com.example.shop.LogbackDemo",
            message="Failed to place order 123",
            thread="nio-8080-exec-1",
        )

    def test_log4j2_default(self) -> None:
        """log4j2's '%d{HH:mm:ss.SSS} [%t] %-5level %logger{36} - %msg'."""
        assert parse_prefix(first_line("java", "log4j2.txt")) == LinePrefix(
            level="error",
            logger="com.example.shop.Log4j2Demo",
            message="Payment 7781 rejected",
            thread="main",
        )

    def test_java_util_logging_first_line(self) -> None:
        """JUL's first line names the logger but has no level."""
        prefix = parse_prefix(first_line("java", "jul_simple_formatter.txt"))
        assert prefix == LinePrefix(level="", logger="com.example.shop.JulDemo", message="")

    def test_go_log(self) -> None:
        """Go's log package: a date and time, no level."""
        prefix = parse_prefix(first_line("go", "log_panic.txt"))
        assert prefix == LinePrefix(
            level="", logger="", message="required setting LOGSHIP_TEST_UNSET_SETTING is missing"
        )

    def test_aspnetcore_console(self) -> None:
        """ASP.NET Core's 'fail: Logger[id]': the message is on the next line."""
        prefix = parse_prefix(first_line("dotnet", "coreclr_aspnetcore_console.txt"))
        assert prefix == LinePrefix(
            level="error",
            logger="Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware",
            message="",
        )


class TestIssue13Samples:
    """First lines that the sample programs of issue 13 printed (``tests/parse/samples``)."""

    def test_python_request_values_are_not_the_logger(self) -> None:
        """'%(levelname)s [service,%(trace)s] %(name)s:': the name after the bracket logs."""
        prefix = parse_prefix(sample_lines("python-request-values")[2])
        assert prefix is not None
        assert (prefix.level, prefix.logger) == ("error", "payment.api")
        assert prefix.message == "payment declined for order 8812 user alice"

    def test_loguru_columns(self) -> None:
        """loguru's '| ERROR    | module:function:line - msg': the module is the logger."""
        prefix = parse_prefix(sample_lines("loguru")[2])
        assert prefix == LinePrefix(
            level="error", logger="scenario", message="payment declined for order 8812 user alice"
        )

    def test_loguru_info(self) -> None:
        """An INFO line of loguru is INFO, whatever its message says."""
        prefix = parse_prefix(sample_lines("loguru")[0])
        assert prefix is not None
        assert prefix.level == "info"

    def test_structlog_console_padded_level(self) -> None:
        """structlog's '[error    ]': the bracket and its padding are not in the message."""
        prefix = parse_prefix(sample_lines("structlog-console")[2])
        assert prefix == LinePrefix(
            level="error", logger="", message="payment declined for order 8812 user alice"
        )

    def test_jul_level_on_the_second_line(self) -> None:
        """java.util.logging: the date line names the class, the next line the level."""
        lines = sample_lines("jul")
        assert parse_head(lines[6:8]) == LinePrefix(
            level="error",
            logger="com.shop.payments.Main",
            message="payment declined for order 91 user bob",
        )
        assert parse_head(lines[0:2]) == LinePrefix(
            level="info", logger="com.shop.payments.Main", message="started order 1"
        )

    def test_jul_first_line_alone(self) -> None:
        """A JUL date line with nothing after it has no level."""
        prefix = parse_head(sample_lines("jul")[0:1])
        assert prefix is not None
        assert prefix.level == ""


class TestRequestValues:
    """Per-request values in a bracket never become the logger (issue 13, item 1).

    Spring Boot 2 with Sleuth could not be run here (no logback jar on the
    machine): its line is the documented ``LOG_LEVEL_PATTERN``,
    ``%5p [${spring.application.name},%X{traceId:-},%X{spanId:-}]``, before
    Spring Boot's default ``${PID} --- [%t] %-40.40logger{39} : %m``.
    """

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            pytest.param(
                "2024-05-01 12:00:00.123 ERROR [payment-service,5f1e2a3b4c5d6e7f,9a8b7c6d5e4f3a2b]"
                " 1 --- [nio-8080-exec-1] c.e.p.PaymentController  : payment declined",
                LinePrefix(
                    "error", "c.e.p.PaymentController", "payment declined", "nio-8080-exec-1"
                ),
                id="spring-boot-2-sleuth",
            ),
            pytest.param(
                "2024-05-01 12:00:00.123 ERROR [payment-service,,] 1 --- [           main]"
                " c.e.p.PaymentController  : payment declined",
                LinePrefix("error", "c.e.p.PaymentController", "payment declined", "main"),
                id="spring-boot-2-sleuth-no-span",
            ),
            pytest.param(
                "ERROR [payment-service,6644ff8e9d1b2c3a4f5e6d7c8b9a0f1e] payment.api: declined",
                LinePrefix("error", "payment.api", "declined"),
                id="level-first",
            ),
            pytest.param(
                "2024-05-01 12:00:00,123 ERROR [payment-service,6644ff8e9d1b2c3a] payment.api: x",
                LinePrefix("error", "payment.api", "x"),
                id="stamp-level",
            ),
        ],
    )
    def test_bracket_is_not_the_logger(self, line: str, expected: LinePrefix) -> None:
        """The logger is the name after the bracket; the bracket is in neither field."""
        assert parse_prefix(line) == expected


class TestLayouts:
    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            pytest.param(
                "2024-05-01 12:00:00.123 ERROR 1 --- [nio-8080-exec-1] "
                "c.s.order.OrderController : Failed to place order 123",
                LinePrefix(
                    "error",
                    "c.s.order.OrderController",
                    "Failed to place order 123",
                    "nio-8080-exec-1",
                ),
                id="spring-boot-2",
            ),
            pytest.param(
                "2024-05-01T12:00:00.123Z  WARN 1 --- [           main] "
                "[6644ff8e9d1b2c3a4f5e6d7c8b9a0f1e-1a2b3c4d5e6f7a8b] c.e.Foo : slow start",
                LinePrefix("warning", "c.e.Foo", "slow start", "main"),
                id="spring-boot-3-correlation",
            ),
            pytest.param(
                "12:00:00.123 [main] ERROR c.e.Foo - boom",
                LinePrefix("error", "c.e.Foo", "boom", "main"),
                id="logback-basic",
            ),
            pytest.param(
                "[ERROR] 2024-05-01 12:00:00.123 [worker-1] payment failed",
                LinePrefix("error", "", "payment failed", "worker-1"),
                id="bracketed-level",
            ),
            pytest.param(
                "ERROR:root:charge failed",
                LinePrefix("error", "root", "charge failed"),
                id="python-default",
            ),
            pytest.param(
                "2024-05-01 12:00:00,123 ERROR [orders] charge failed",
                LinePrefix("error", "orders", "charge failed"),
                id="python-bracket-name",
            ),
            pytest.param(
                "2024-05-01 12:00:00,123 - orders.api - WARNING - slow",
                LinePrefix("warning", "orders.api", "slow"),
                id="python-dashes",
            ),
            pytest.param(
                'time="2024-05-01T12:00:00Z" level=error msg="db down: \\"x\\"" logger=pg',
                LinePrefix("error", "pg", 'db down: "x"'),
                id="logfmt",
            ),
            pytest.param(
                "level=fatal msg=exiting", LinePrefix("fatal", "", "exiting"), id="logfmt-short"
            ),
            pytest.param(
                "2024/05/01 12:00:00 main.go:12: ERROR cannot reach db",
                LinePrefix("error", "main.go", "cannot reach db"),
                id="go-log-shortfile-level",
            ),
            pytest.param(
                "2024/05/01 12:00:00 ERROR payment failed order=42",
                LinePrefix("error", "", "payment failed order=42"),
                id="go-slog-default",
            ),
            pytest.param(
                "[ERROR]\t2024-05-01T12:00:00.123Z\tb7c5e9d2-3f4a-4c1e-9a6b-1d2e3f4a5b6c\tboom",
                LinePrefix("error", "", "boom"),
                id="lambda-python",
            ),
            pytest.param(
                "2024-05-01T12:00:00.123Z\tb7c5e9d2-3f4a-4c1e-9a6b-1d2e3f4a5b6c\tERROR\tboom",
                LinePrefix("error", "", "boom"),
                id="lambda-node",
            ),
            pytest.param(
                "[2024-05-01 12:00:00] production.ERROR: boom {} []",
                LinePrefix("error", "production", "boom {} []"),
                id="monolog",
            ),
            pytest.param(
                "[2024-05-01 12:00:00 +0000] [7] [CRITICAL] WORKER TIMEOUT (pid:8)",
                LinePrefix("fatal", "", "WORKER TIMEOUT (pid:8)"),
                id="gunicorn",
            ),
            pytest.param(
                "2024-05-01T12:00:00Z [ERROR] boom",
                LinePrefix("error", "", "boom"),
                id="timestamp-bracket-level",
            ),
            pytest.param(
                "2024-05-01 12:00:00.1234|ERROR|Shop.Orders|boom",
                LinePrefix("error", "Shop.Orders", "boom"),
                id="nlog",
            ),
            pytest.param(
                "[12:00:00 WRN] slow query", LinePrefix("warning", "", "slow query"), id="serilog"
            ),
            pytest.param(
                "E0501 12:00:00.123456       1 controller.go:42] sync failed",
                LinePrefix("error", "controller.go", "sync failed"),
                id="klog",
            ),
            pytest.param(
                "E, [2024-05-01T12:00:00.123456 #1] ERROR -- orders: boom",
                LinePrefix("error", "orders", "boom"),
                id="ruby-logger",
            ),
            pytest.param(
                "SEVERE: Failed to render",
                LinePrefix("error", "", "Failed to render"),
                id="jul-second-line",
            ),
            pytest.param(
                "ERROR:    Exception in ASGI application",
                LinePrefix("error", "", "Exception in ASGI application"),
                id="uvicorn",
            ),
            pytest.param("WARN disk at 91%", LinePrefix("warning", "", "disk at 91%"), id="bare"),
        ],
    )
    def test_layout(self, line: str, expected: LinePrefix) -> None:
        """Each common layout gives its level, logger, message and thread."""
        assert parse_prefix(line) == expected


class TestNoPrefix:
    @pytest.mark.parametrize(
        "line",
        [
            "",
            "   at com.example.Foo.bar(Foo.java:1)",
            "java.lang.RuntimeException: boom",
            "Traceback (most recent call last):",
            "panic: runtime error: index out of range [5] with length 3",
            "Error: connect ECONNREFUSED 127.0.0.1:5432",
            '{"level":"error","msg":"boom"}',
            "hello world",
            "2024-05-01 12:00:00 ERRORS everywhere",
            "GET /orders 500 12ms",
            'Exception in thread "main" java.lang.Error',
        ],
    )
    def test_none(self, line: str) -> None:
        """Lines without a log prefix (trace lines, JSON, plain text) give None."""
        assert parse_prefix(line) is None

    def test_go_log_word_that_is_not_a_level(self) -> None:
        """In Go's layout a first word that is no level stays in the message."""
        prefix = parse_prefix("2024/05/01 12:00:00 http: panic serving 127.0.0.1:1: boom")
        assert prefix == LinePrefix("", "", "http: panic serving 127.0.0.1:1: boom")


class TestMessageBefore:
    def test_prefixes_and_blank_lines_are_dropped(self) -> None:
        """Each line's log prefix is removed; blank lines and prefix-only lines give nothing."""
        before = [
            "2024-05-01 12:00:00.123 ERROR [main] c.e.OrderController - Failed to place order",
            "",
            "   while charging card",
            "May 01, 2024 12:00:00 PM com.example.Orders place",
        ]
        assert message_before(before) == "Failed to place order\nwhile charging card"

    def test_only_the_last_lines_are_read(self) -> None:
        """A long run of lines above a trace contributes its last 20 only."""
        before = [f"line {number}" for number in range(30)]
        assert message_before(before).splitlines() == [f"line {n}" for n in range(10, 30)]

    def test_skip_drops_a_runtime_banner(self) -> None:
        """A line ``skip`` accepts is left out; it gets the line as written."""
        before = ["order 42 failed", "Unhandled Exception:", "runtime: stack exceeded"]
        assert (
            message_before(before, skip=lambda line: line.startswith("runtime: "))
            == "order 42 failed\nUnhandled Exception:"
        )


class TestRobustness:
    @given(st.text(max_size=300))
    def test_never_raises(self, line: str) -> None:
        """Any line gives None or a prefix whose level is one of LEVELS or ""."""
        prefix = parse_prefix(line)
        assert prefix is None or prefix.level in (*LEVELS, "")

    @given(st.sampled_from(["2024-05-01 12:00:00 ", "[", "level=", "E0501 ", "ERROR:"]))
    def test_long_adversarial_lines(self, head: str) -> None:
        """Long runs of brackets, spaces and key=value pairs stay linear (no hang)."""
        for filler in ("[" * 20_000, " " * 20_000, "a=" * 10_000, "[x] " * 5_000, ".a" * 10_000):
            prefix = parse_prefix(head + filler)
            assert prefix is None or prefix.level in (*LEVELS, "")
