"""Tests for logship.parse.java on traces printed by OpenJDK 17 (see fixtures/traces/java)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logship.parse import java
from logship.parse._limits import MAX_EXCEPTIONS, MAX_FRAMES_KEPT
from logship.records import Relation, Trace

FIXTURES = Path(__file__).parent.parent / "fixtures" / "traces"
JAVA_FIXTURES = sorted(p.name for p in (FIXTURES / "java").glob("*.txt"))


def fixture(name: str, language: str = "java") -> str:
    return (FIXTURES / language / name).read_text()


def gzipped(name: str) -> str:
    """A fixture stored gzipped: too many lines for one assembled record."""
    with gzip.open(FIXTURES / "java" / name, "rt") as handle:
        return handle.read()


def parsed(name: str) -> Trace:
    trace = java.parse(fixture(name))
    assert trace is not None, name
    return trace


class TestMarker:
    @pytest.mark.parametrize("name", JAVA_FIXTURES)
    def test_every_fixture_matches(self, name: str) -> None:
        """The cheap pre-filter lets every real Java trace through."""
        assert re.search(java.MARKER, fixture(name), re.MULTILINE)

    def test_log_lines_do_not_match(self) -> None:
        """Ordinary log lines, even ones naming an exception, are turned away."""
        text = (
            "2024-05-01 12:00:00.123 INFO [main] c.e.Foo - started in 2.3s\n"
            "2024-05-01 12:00:01.000 WARN [main] c.e.Foo - retrying after IOException"
        )
        assert not re.search(java.MARKER, text, re.MULTILINE)


class TestParse:
    def test_print_stack_trace(self) -> None:
        """printStackTrace(): one exception, frames reversed into Sentry order."""
        trace = parsed("print_stack_trace.txt")
        assert trace.language == "java"
        assert trace.message == ""
        assert trace.related == ()
        (exc,) = trace.chain
        assert exc.type == "java.lang.NumberFormatException"
        assert exc.message == 'For input string: "12x"'
        assert exc.relation is None
        assert len(exc.frames) == 14
        assert exc.frames_omitted == 0
        oldest, throwing = exc.frames[0], exc.frames[-1]
        assert (oldest.module, oldest.function) == ("com.example.shop.PrintStackTraceDemo", "main")
        assert (oldest.filename, oldest.lineno, oldest.in_app) == (
            "PrintStackTraceDemo.java",
            13,
            True,
        )
        assert (throwing.module, throwing.function) == (
            "java.lang.NumberFormatException",
            "forInputString",
        )
        assert (throwing.filename, throwing.lineno, throwing.in_app) == (
            "NumberFormatException.java",
            67,
            False,
        )

    def test_lambda_and_module_prefixed_frames(self) -> None:
        """'java.base/' is dropped from the class; lambda$ methods keep their name."""
        (exc,) = parsed("print_stack_trace.txt").chain
        functions = [(f.module, f.function) for f in exc.frames]
        assert ("com.example.shop.PrintStackTraceDemo", "lambda$totalQuantity$0") in functions
        assert ("java.util.stream.IntPipeline", "sum") in functions
        assert not any("/" in f.module for f in exc.frames)

    def test_chained_causes_with_more(self) -> None:
        """Caused by: links the chain outermost first; '... N more' is counted."""
        trace = parsed("chained_socket_timeout.txt")
        assert [e.type for e in trace.chain] == [
            "java.lang.RuntimeException",
            "java.io.IOException",
            "java.net.SocketTimeoutException",
        ]
        assert [e.relation for e in trace.chain] == [None, Relation.CAUSE, Relation.CAUSE]
        assert [len(e.frames) for e in trace.chain] == [2, 2, 7]
        assert [e.frames_omitted for e in trace.chain] == [0, 1, 2]
        assert trace.chain[0].message == "Failed to place order 123"
        root = trace.chain[-1]
        assert root.message == "Read timed out"
        assert root.frames[-1].function == "timedRead"
        assert root.frames[-1].module == "sun.nio.ch.NioSocketImpl"
        # The root's oldest printed frame is the service's own call into the socket.
        assert root.frames[0].module == "com.example.shop.ChainedCauseDemo$InventoryClient"
        assert root.frames[0].in_app

    def test_native_method_frame(self) -> None:
        """'(Native Method)' gives a frame with neither file nor line."""
        root = parsed("chained_connect_refused.txt").chain[-1]
        assert root.type == "java.net.ConnectException"
        native = root.frames[-1]
        assert (native.module, native.function) == ("sun.nio.ch.Net", "pollConnect")
        assert (native.filename, native.lineno) == ("", None)

    def test_suppressed_go_to_related(self) -> None:
        """try-with-resources: Suppressed blocks, and their causes, land in related."""
        trace = parsed("suppressed.txt")
        assert [e.type for e in trace.chain] == [
            "java.lang.IllegalStateException",
            "java.lang.IllegalArgumentException",
        ]
        assert [(e.type, e.message, e.relation) for e in trace.related] == [
            ("java.io.IOException", "close cache", Relation.SUPPRESSED),
            ("java.io.IOException", "close db", Relation.SUPPRESSED),
            ("java.lang.IllegalStateException", "socket already closed", Relation.CAUSE),
            ("java.lang.UnsupportedOperationException", "retry disabled", Relation.SUPPRESSED),
        ]
        assert [len(e.frames) for e in trace.related] == [2, 2, 0, 1]
        assert [e.frames_omitted for e in trace.related] == [0, 0, 2, 1]
        # The cause after the suppressed block is back on the main chain, with its frame.
        assert trace.chain[1].frames[-1].lineno == 28

    def test_uncaught_in_main_thread(self) -> None:
        """'Exception in thread "main"' is not part of the type."""
        trace = parsed("uncaught_main.txt")
        assert [e.type for e in trace.chain] == [
            "java.lang.IllegalArgumentException",
            "java.lang.NumberFormatException",
        ]
        assert trace.chain[0].message == "invalid PORT setting: 80a"
        assert trace.chain[1].message == 'For input string: "80a"'

    def test_multi_line_message(self) -> None:
        """Lines between the header and the first frame continue the message."""
        (exc,) = parsed("uncaught_worker_thread.txt").chain
        assert exc.type == "java.lang.IllegalStateException"
        assert exc.message == "queue consumer stopped\n  queue: orders\n  pending: 17"
        assert len(exc.frames) == 2

    def test_stack_overflow_is_capped(self) -> None:
        """1024 printed frames: the first and last 250 are kept, the rest counted."""
        (exc,) = parsed("stack_overflow.txt").chain
        assert exc.type == "java.lang.StackOverflowError"
        assert exc.message == ""
        assert len(exc.frames) == 2 * MAX_FRAMES_KEPT
        assert exc.frames_omitted == 1024 - 2 * MAX_FRAMES_KEPT
        assert all(f.function == "depth" and f.in_app for f in exc.frames)


class TestLogLayouts:
    def test_logback_default_pattern(self) -> None:
        """logback: the %msg is the trace's message; '~[na:na]' suffixes are stripped."""
        trace = parsed("logback_default.txt")
        assert trace.message == "Failed to place order 123"
        assert [e.type for e in trace.chain] == [
            "java.lang.IllegalStateException",
            "java.net.SocketTimeoutException",
        ]
        top = trace.chain[0]
        assert top.frames[-1].function == "placeOrder"
        assert (top.frames[-1].filename, top.frames[-1].lineno) == ("LogbackDemo.java", 29)
        assert top.frames[0].module == "java.lang.Thread"
        assert trace.chain[1].frames_omitted == 2  # "... 2 common frames omitted"

    def test_spring_boot_layout(self) -> None:
        """Spring Boot 3: prefix line with [app] [thread], a blank line, then the trace."""
        trace = parsed("spring_boot.txt")
        assert trace.message == "Failed to place order 123"
        assert len(trace.chain) == 2
        assert [len(e.frames) for e in trace.chain] == [3, 8]

    def test_log4j2_pattern(self) -> None:
        """log4j2's '~[?:?]' and '~[build/:?]' suffixes are stripped."""
        trace = parsed("log4j2.txt")
        assert trace.message == "Payment 7781 rejected"
        cause = trace.chain[1]
        assert cause.type == "java.lang.NumberFormatException"
        assert [f.function for f in cause.frames] == [
            "parseAmount",
            "parseLong",
            "parseLong",
            "forInputString",
        ]
        assert cause.frames[1].filename == "Long.java"

    def test_java_util_logging(self) -> None:
        """JUL's two header lines: the SEVERE line's text is the message."""
        trace = parsed("jul_simple_formatter.txt")
        assert trace.message == "Failed to render cart 42"
        assert trace.chain[0].type == "java.lang.ArrayIndexOutOfBoundsException"


class TestSyntheticForms:
    """Forms no installed runtime prints; each one is built from a real fixture."""

    def test_root_cause_first_layout(self) -> None:
        """logback's %rEx prints the root first and 'Wrapped by:': the chain is turned."""
        text = (
            "java.net.SocketTimeoutException: Read timed out\n"
            "\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)\n"
            "Wrapped by: java.lang.IllegalStateException: reservation failed\n"
            "\tat com.example.shop.LogbackDemo.placeOrder(LogbackDemo.java:29)\n"
        )
        trace = java.parse(text)
        assert trace is not None
        assert [e.type for e in trace.chain] == [
            "java.lang.IllegalStateException",
            "java.net.SocketTimeoutException",
        ]
        assert [e.relation for e in trace.chain] == [None, Relation.CAUSE]

    def test_tabs_turned_into_spaces(self) -> None:
        """A shipper that expands tabs keeps the nesting: indentation is relative."""
        text = fixture("suppressed.txt").replace("\t", "    ")
        trace = java.parse(text)
        assert trace is not None
        assert len(trace.chain) == 2
        assert len(trace.related) == 4

    def test_trailing_log_line_ends_the_trace(self) -> None:
        """The next log line after the frames is not read as part of the trace."""
        text = fixture("log4j2.txt") + "10:23:09.000 [main] INFO c.e.Foo - next request\n"
        trace = java.parse(text)
        assert trace is not None
        assert trace.chain[-1].frames[0].function == "parseAmount"
        assert "next request" not in trace.chain[-1].message


class TestRejects:
    @pytest.mark.parametrize(
        "text",
        [
            "",
            "2024-05-01 12:00:00.123 INFO [main] c.e.Foo - started",
            "java.lang.IllegalStateException: logged without a stack",
            "\tat com.example.Foo.bar(Foo.java:1)",  # a frame with no header
        ],
    )
    def test_no_trace(self, text: str) -> None:
        """Text without a header followed by frames is not a Java trace."""
        assert java.parse(text) is None

    @pytest.mark.parametrize(
        ("language", "name"),
        [
            ("dotnet", "coreclr_unhandled_inner.txt"),
            ("dotnet", "mono_unhandled_inner.txt"),
            ("go", "http_handler.txt"),
            ("node", "uncaught_throw.txt"),
            ("node", "fetch_failed.txt"),
            ("python", "raise_from_timeout.txt"),
        ],
    )
    def test_other_languages(self, language: str, name: str) -> None:
        """.NET, Node.js, Go and Python traces are left to their own parsers."""
        assert java.parse(fixture(name, language)) is None


class TestLimits:
    def test_hundred_thousand_frames(self) -> None:
        """A real 100,000-frame StackOverflowError: frames capped, the rest counted."""
        with gzip.open(FIXTURES / "java" / "stack_overflow_100k.txt.gz", "rt") as handle:
            text = handle.read()
        trace = java.parse(text)
        assert trace is not None
        (exc,) = trace.chain
        assert exc.type == "java.lang.StackOverflowError"
        assert len(exc.frames) == 2 * MAX_FRAMES_KEPT
        assert exc.frames_omitted == 100_000 - 2 * MAX_FRAMES_KEPT

    def test_chain_depth_capped(self) -> None:
        """A chain deeper than MAX_EXCEPTIONS keeps its outer half and its root-cause half."""
        frame = "\tat com.example.Foo.bar(Foo.java:1)\n"
        text = "com.example.E0: 0\n" + frame
        text += "".join(f"Caused by: com.example.E{i}: {i}\n{frame}" for i in range(1, 500))
        trace = java.parse(text)
        assert trace is not None
        assert len(trace.chain) == MAX_EXCEPTIONS
        half = MAX_EXCEPTIONS // 2
        assert trace.chain[half - 1].type == f"com.example.E{half - 1}"
        assert trace.chain[half].type == f"com.example.E{500 - half}"
        assert trace.chain[-1].type == "com.example.E499"

    def test_thousand_deep_chain_keeps_the_root_cause(self) -> None:
        """A real 1,000-deep chain: the outermost half and the innermost half, root last."""
        trace = java.parse(gzipped("deep_chain_socket_timeout.txt.gz"))
        assert trace is not None
        assert len(trace.chain) == MAX_EXCEPTIONS
        outer, root = trace.chain[0], trace.chain[-1]
        assert (outer.type, outer.message) == (
            "java.lang.RuntimeException",
            "retry level 999 failed",
        )
        assert outer.frames[-1].function == "retry"
        assert (root.type, root.message) == ("java.net.SocketTimeoutException", "Read timed out")
        assert root.frames[-1].function == "timedRead"
        assert root.frames[-1].module == "sun.nio.ch.NioSocketImpl"
        # The gap: the outer half ends 50 levels in, the inner half starts 50 levels out.
        half = MAX_EXCEPTIONS // 2
        assert trace.chain[half - 1].message == f"retry level {1000 - half} failed"
        assert trace.chain[half].message == f"retry level {half - 1} failed"
        assert [e.relation for e in trace.chain] == [None] + [Relation.CAUSE] * (MAX_EXCEPTIONS - 1)

    def test_root_cause_first_layout_keeps_both_ends(self) -> None:
        """logback's %rEx ("Wrapped by:"), past the limit: turned, both ends kept."""
        frame = "\tat com.example.Foo.bar(Foo.java:1)\n"
        text = "com.example.Root: 0\n" + frame
        text += "".join(f"Wrapped by: com.example.W{i}: {i}\n{frame}" for i in range(1, 300))
        trace = java.parse(text)
        assert trace is not None
        assert len(trace.chain) == MAX_EXCEPTIONS
        assert trace.chain[0].type == "com.example.W299"
        assert trace.chain[-1].type == "com.example.Root"
        assert [e.relation for e in trace.chain] == [None] + [Relation.CAUSE] * (MAX_EXCEPTIONS - 1)

    def test_suppressed_past_the_limit_do_not_end_the_trace(self) -> None:
        """Related exceptions stop being kept at the limit; the causes after them are read."""
        frame = "\tat com.example.Foo.bar(Foo.java:1)\n"
        suppressed = "".join(
            f"\tSuppressed: java.io.IOException: close {i}\n\t{frame}" for i in range(300)
        )
        text = (
            f"java.lang.IllegalStateException: outer\n{frame}{suppressed}"
            f"Caused by: java.net.SocketTimeoutException: Read timed out\n{frame}"
        )
        trace = java.parse(text)
        assert trace is not None
        assert [e.type for e in trace.chain] == [
            "java.lang.IllegalStateException",
            "java.net.SocketTimeoutException",
        ]
        assert len(trace.related) == MAX_EXCEPTIONS
        assert trace.related[-1].message == f"close {MAX_EXCEPTIONS - 1}"

    def test_very_deep_chain_is_read_in_one_pass(self) -> None:
        """20,000 causes: read line by line (no recursion, nothing quadratic), both ends kept."""
        frame = "\tat com.example.Foo.bar(Foo.java:1)\n"
        text = "com.example.E0: 0\n" + frame
        text += "".join(f"Caused by: com.example.E{i}: {i}\n{frame}" for i in range(1, 20_000))
        trace = java.parse(text)
        assert trace is not None
        assert [trace.chain[0].type, trace.chain[-1].type] == [
            "com.example.E0",
            "com.example.E19999",
        ]
        assert all(len(e.frames) == 1 for e in trace.chain)


class TestInApp:
    @pytest.mark.parametrize(
        ("class_name", "expected"),
        [
            ("com.example.shop.OrderService", True),
            ("OrderService", True),
            ("java.lang.Thread", False),
            ("jdk.internal.reflect.NativeMethodAccessorImpl", False),
            ("org.springframework.web.servlet.FrameworkServlet", False),
            ("io.netty.channel.nio.NioEventLoop", False),
            ("kotlinx.coroutines.DispatchedTask", False),
        ],
    )
    def test_package_heuristic(self, class_name: str, expected: bool) -> None:
        """Runtime and framework packages are not the service's code."""
        assert java.is_in_app(class_name) is expected


class TestRobustness:
    @given(st.text(alphabet=st.sampled_from(list("at ():.\t\nCausedby$Suppressed.~[]1"))))
    def test_never_raises(self, text: str) -> None:
        """Arbitrary text gives None or a trace, never an exception."""
        trace = java.parse(text)
        assert trace is None or trace.chain

    @given(st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=5))
    def test_frame_lines_cut_at_any_point(self, keep: int, cut: int) -> None:
        """A trace cut anywhere (a truncated record) still parses to its header."""
        lines = fixture("chained_socket_timeout.txt").splitlines()
        text = "\n".join(lines[: keep + 2])
        text = text[: len(text) - cut]
        trace = java.parse(text)
        if trace is not None:
            assert trace.chain[0].type == "java.lang.RuntimeException"


class TestCircularReference:
    def test_marker_ends_the_chain(self) -> None:
        """Java's "[CIRCULAR REFERENCE: ...]" is not an exception: the one before it is the root."""
        data = Path(__file__).parents[1] / "reliability" / "data" / "java_cyclic_cause.txt.gz"
        trace = java.parse(gzip.decompress(data.read_bytes()).decode())
        assert trace is not None
        assert [exc.type for exc in trace.chain] == [
            "java.lang.RuntimeException",
            "java.lang.IllegalStateException",
        ]


class TestNestedExceptionIs:
    """``java.rmi.RemoteException`` (``tests/parse/samples/java-rmi``, OpenJDK 17)."""

    def test_nested_message_line_is_not_a_frame_and_the_cause_is_read(self) -> None:
        """'; nested exception is:' and its indented line stay in the message; the root is found."""
        text = (Path(__file__).parent / "samples" / "java-rmi" / "trace.txt").read_text()
        trace = java.parse(text)
        assert trace is not None
        assert [exc.type for exc in trace.chain] == [
            "java.rmi.RemoteException",
            "java.net.SocketTimeoutException",
        ]
        assert trace.chain[0].message.startswith("ledger call failed for order 1003; nested")
        assert [frame.function for frame in trace.chain[0].frames] == ["main"]


class TestJulHeader:
    """A java.util.logging date line before or around the exception line."""

    def test_exception_on_the_date_line(self) -> None:
        """'<date> <class>: Type: msg', then frames: the type and message are read.

        The shape of fluent-plugin-detect-exceptions' Java sample, printed here by a
        java.util.logging formatter that writes it (App Engine's Java layout).
        """
        text = (FIXTURES / "java" / "jul_exception_on_date_line.txt").read_text(encoding="utf-8")
        trace = java.parse(text.strip())
        assert trace is not None
        assert [(exc.type, exc.message) for exc in trace.chain] == [
            ("RuntimeException", "quantity is not a number: 12x")
        ]
        assert [frame.function for frame in trace.chain[0].frames] == ["main"]
