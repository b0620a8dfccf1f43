"""Tests for logship.parse.dotnet.

mono_*.txt fixtures were printed by Mono 6.8 (the .NET Framework layout);
coreclr_*.txt follow the documented CoreCLR layout (see fixtures/traces/dotnet/README.md).
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logship.parse import dotnet
from logship.parse._limits import MAX_EXCEPTIONS, MAX_FRAMES_KEPT
from logship.records import Relation, Trace

FIXTURES = Path(__file__).parent.parent / "fixtures" / "traces"
DOTNET_FIXTURES = sorted(p.name for p in (FIXTURES / "dotnet").glob("*.txt"))


def fixture(name: str, language: str = "dotnet") -> str:
    return (FIXTURES / language / name).read_text()


def parsed(name: str) -> Trace:
    trace = dotnet.parse(fixture(name))
    assert trace is not None, name
    return trace


class TestMarker:
    @pytest.mark.parametrize("name", DOTNET_FIXTURES)
    def test_every_fixture_matches(self, name: str) -> None:
        """The cheap pre-filter lets every .NET trace through."""
        assert re.search(dotnet.MARKER, fixture(name), re.MULTILINE)

    def test_log_line_does_not_match(self) -> None:
        """An information line is turned away by the marker alone."""
        text = "info: Microsoft.Hosting.Lifetime[14]\n      Now listening on: http://[::]:8080"
        assert not re.search(dotnet.MARKER, text, re.MULTILINE)


class TestCoreClr:
    def test_unhandled_with_inner_exceptions(self) -> None:
        """' ---> ' lines give the chain outermost first; frame blocks go innermost first."""
        trace = parsed("coreclr_unhandled_inner.txt")
        assert trace.language == "dotnet"
        assert trace.message == ""
        assert [e.type for e in trace.chain] == [
            "System.InvalidOperationException",
            "System.Net.Http.HttpRequestException",
            "System.Net.Sockets.SocketException",
        ]
        assert [e.relation for e in trace.chain] == [None, Relation.INNER, Relation.INNER]
        assert [e.message for e in trace.chain] == [
            "Failed to place order 123",
            "Connection refused (127.0.0.1:5002)",
            "Connection refused",
        ]
        assert [len(e.frames) for e in trace.chain] == [3, 6, 4]
        outer = trace.chain[0]
        throwing = outer.frames[-1]
        assert (throwing.module, throwing.function) == (
            "Shop.Orders.OrderService",
            "PlaceOrderAsync",
        )
        assert (throwing.filename, throwing.lineno, throwing.in_app) == (
            "/src/Shop.Orders/OrderService.cs",
            42,
            True,
        )
        assert (outer.frames[0].function, outer.frames[0].lineno) == ("<Main>", None)
        root = trace.chain[-1]
        assert root.frames[-1].function == "ThrowException"
        assert not root.frames[-1].in_app

    def test_aspnetcore_console_logger(self) -> None:
        """The console logger's indented trace, its message line, async boundaries."""
        trace = parsed("coreclr_aspnetcore_console.txt")
        assert trace.message == "An unhandled exception has occurred while executing the request."
        (exc,) = trace.chain
        assert exc.type == "System.Collections.Generic.KeyNotFoundException"
        assert exc.message == "The given key 'SKU-9' was not present in the dictionary."
        assert len(exc.frames) == 8  # the "End of stack trace" line is not a frame
        assert exc.frames[-1].module == "System.Collections.Generic.Dictionary`2"
        assert [f.function for f in exc.frames if f.in_app] == ["GetAsync", "Lookup"]

    def test_aggregate_exception_stops_at_repeat(self) -> None:
        """AggregateException's '(Inner Exception #0)' repeat is not read twice."""
        trace = parsed("coreclr_aggregate.txt")
        assert trace.message == "Price sync failed"
        assert [e.type for e in trace.chain] == [
            "System.AggregateException",
            "System.TimeoutException",
        ]
        assert [len(e.frames) for e in trace.chain] == [3, 2]


class TestMono:
    def test_inline_inner_exceptions(self) -> None:
        """.NET Framework layout: ' ---> ' on the header line; the trace printed twice."""
        trace = parsed("mono_unhandled_inner.txt")
        assert [e.type for e in trace.chain] == [
            "System.InvalidOperationException",
            "System.Net.Http.HttpRequestException",
            "System.Net.Sockets.SocketException",
        ]
        assert [e.message for e in trace.chain] == [
            "Failed to place order 123",
            "Connection refused",
            "Connection refused",
        ]
        # Only the first copy is read, not "[ERROR] FATAL UNHANDLED EXCEPTION: ..." again.
        assert [len(e.frames) for e in trace.chain] == [2, 7, 1]
        top = trace.chain[0].frames[-1]
        assert (top.module, top.function, top.filename, top.lineno) == (
            "Shop.Orders.Program",
            "PlaceOrder",
            "/app/UnhandledInner.cs",
            39,
        )

    def test_frames_without_symbols(self) -> None:
        """'in <mvid>:0' (no debug symbols) gives a frame with no file or line."""
        root = parsed("mono_unhandled_inner.txt").chain[-1]
        (frame,) = root.frames
        assert (frame.module, frame.function) == ("System.Net.Http.ConnectHelper", "ConnectAsync")
        assert (frame.filename, frame.lineno, frame.in_app) == ("", None, False)

    def test_log_prefix_message(self) -> None:
        """A log line before the trace gives the message; generic parameters parse."""
        trace = parsed("mono_async_rethrow.txt")
        assert trace.message == "Payment 7781 rejected"
        (exc,) = trace.chain
        assert exc.type == "System.FormatException"
        assert exc.message == "Input string was not in a correct format."
        assert [f.function for f in exc.frames] == [
            "Main",
            "ChargeAsync",
            "ParseAmountAsync",
            "Parse",
            "ParseInt64",
            "ThrowOverflowOrFormatException",
        ]

    def test_unhandled_null_reference(self) -> None:
        """Mono's 'Unhandled Exception:' line is not taken for a log message."""
        trace = parsed("mono_null_reference.txt")
        assert trace.message == ""
        (exc,) = trace.chain
        assert exc.type == "System.NullReferenceException"
        assert [(f.function, f.lineno) for f in exc.frames] == [("Main", 32), ("NameLength", 27)]


class TestFrames:
    def test_async_state_machine_named_after_method(self) -> None:
        """'<PlaceOrder>d__5.MoveNext' reads as the method PlaceOrder."""
        text = (
            "System.Exception: boom\n"
            "   at Shop.Orders.OrderService.<PlaceOrder>d__5.MoveNext() in /src/O.cs:line 9\n"
        )
        trace = dotnet.parse(text)
        assert trace is not None
        (frame,) = trace.chain[0].frames
        assert (frame.module, frame.function, frame.lineno) == (
            "Shop.Orders.OrderService",
            "PlaceOrder",
            9,
        )

    def test_windows_path(self) -> None:
        """A drive-letter path keeps its colon; the line number is read after it."""
        text = (
            "System.IO.IOException: disk full\n"
            r"   at Shop.Files.Writer.Flush() in C:\src\Shop.Files\Writer.cs:line 77" + "\n"
        )
        trace = dotnet.parse(text)
        assert trace is not None
        (frame,) = trace.chain[0].frames
        assert (frame.filename, frame.lineno) == (r"C:\src\Shop.Files\Writer.cs", 77)

    @pytest.mark.parametrize(
        ("type_name", "expected"),
        [
            ("Shop.Orders.OrderService", True),
            ("System.Net.Http.HttpClient", False),
            ("Microsoft.AspNetCore.Routing.EndpointMiddleware", False),
            ("Newtonsoft.Json.JsonConvert", False),
            ("lambda_method5", False),
        ],
    )
    def test_in_app_heuristic(self, type_name: str, expected: bool) -> None:
        """Framework and common library namespaces are not the service's code."""
        assert dotnet.is_in_app(type_name) is expected


class TestRejects:
    @pytest.mark.parametrize(
        ("language", "name"),
        [
            ("java", "chained_socket_timeout.txt"),
            ("java", "logback_default.txt"),
            ("java", "chained_connect_refused.txt"),  # has "(Native Method)"
            ("go", "http_handler.txt"),
            ("node", "uncaught_throw.txt"),
            ("node", "aggregate_error.txt"),
            ("python", "raise_from_timeout.txt"),
        ],
    )
    def test_other_languages(self, language: str, name: str) -> None:
        """Java, Node.js, Go and Python traces are not read as .NET ones."""
        assert dotnet.parse(fixture(name, language)) is None

    @pytest.mark.parametrize(
        "text",
        ["", "info: Shop.Worker[0]\n      Started", "System.Exception: logged without a stack"],
    )
    def test_no_trace(self, text: str) -> None:
        """Text without frames gives None."""
        assert dotnet.parse(text) is None


class TestLimits:
    def test_hundred_thousand_frames(self) -> None:
        """A synthetic 100,000-frame trace: frames capped, the rest counted."""
        frame = "   at Shop.Deep.Recurse(Int32 depth) in /src/Deep.cs:line 5\n"
        trace = dotnet.parse("System.StackOverflowException: deep\n" + frame * 100_000)
        assert trace is not None
        (exc,) = trace.chain
        assert len(exc.frames) == 2 * MAX_FRAMES_KEPT
        assert exc.frames_omitted == 100_000 - 2 * MAX_FRAMES_KEPT

    def test_inner_chain_capped(self) -> None:
        """More inner exceptions than MAX_EXCEPTIONS stop at the cap."""
        headers = "".join(f" ---> Shop.E{i}Exception: {i}\n" for i in range(1, 300))
        text = "Shop.E0Exception: 0\n" + headers + "   at Shop.A.B() in /src/A.cs:line 1\n"
        trace = dotnet.parse(text)
        assert trace is not None
        assert len(trace.chain) == MAX_EXCEPTIONS
        assert [trace.chain[0].type, trace.chain[-1].type] == [
            "Shop.E0Exception",
            "Shop.E299Exception",
        ]

    def test_thousand_deep_inner_chain_keeps_both_ends(self) -> None:
        """Mono, 1,000 inner exceptions: both ends kept, each with its own frame block."""
        with gzip.open(FIXTURES / "dotnet" / "mono_deep_chain.txt.gz", "rt") as handle:
            trace = dotnet.parse(handle.read())
        assert trace is not None
        assert len(trace.chain) == MAX_EXCEPTIONS
        outer, root = trace.chain[0], trace.chain[-1]
        assert (outer.type, outer.message) == (
            "System.InvalidOperationException",
            "retry level 999 failed",
        )
        assert (root.type, root.message) == (
            "System.FormatException",
            "Input string was not in a correct format.",
        )
        assert [f.function for f in root.frames] == [
            "Retry",
            "ParseQuantity",
            "Parse",
            "ParseInt32",
            "ThrowOverflowOrFormatException",
        ]
        half = MAX_EXCEPTIONS // 2
        assert trace.chain[half - 1].message == f"retry level {1000 - half} failed"
        assert trace.chain[half].message == f"retry level {half - 1} failed"
        # The frame blocks of the dropped middle ones are read past, not given to kept ones.
        for wrapper in trace.chain[:-1]:
            assert [(f.function, f.lineno) for f in wrapper.frames] == [("Retry", 33)]
        assert [e.relation for e in trace.chain] == [None] + [Relation.INNER] * (MAX_EXCEPTIONS - 1)


class TestRobustness:
    @given(st.text(alphabet=st.sampled_from(list("at ():.\n-> Systemin[]0x<>line 1"))))
    def test_never_raises(self, text: str) -> None:
        """Arbitrary text gives None or a trace, never an exception."""
        trace = dotnet.parse(text)
        assert trace is None or trace.chain
