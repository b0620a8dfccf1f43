"""Tests for logship.parse.go on panics printed by go1.19 (see fixtures/traces/go)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logship.parse import go
from logship.parse._limits import MAX_EXCEPTIONS, MAX_FRAMES_KEPT
from logship.records import Relation, Trace

FIXTURES = Path(__file__).parent.parent / "fixtures" / "traces"
GO_FIXTURES = sorted(p.name for p in (FIXTURES / "go").glob("*.txt"))


def fixture(name: str, language: str = "go") -> str:
    return (FIXTURES / language / name).read_text()


def parsed(name: str) -> Trace:
    trace = go.parse(fixture(name))
    assert trace is not None, name
    return trace


class TestMarker:
    @pytest.mark.parametrize("name", GO_FIXTURES)
    def test_every_fixture_matches(self, name: str) -> None:
        """The cheap pre-filter lets every real Go panic through."""
        assert re.search(go.MARKER, fixture(name), re.MULTILINE)

    def test_log_line_does_not_match(self) -> None:
        """A log line that mentions a panic mid-line is turned away."""
        assert not re.search(go.MARKER, "2024/05/01 12:00:00 recovered from panic: x", re.M)


class TestPanics:
    def test_runtime_error(self) -> None:
        """'panic: runtime error: X' is a runtime.Error; inlined '(...)' frames parse."""
        trace = parsed("index_out_of_range.txt")
        assert trace.language == "go"
        assert trace.message == ""
        assert trace.related == ()
        (exc,) = trace.chain
        assert exc.type == "runtime.Error"
        assert exc.message == "index out of range [5] with length 3"
        assert exc.relation is None
        assert [(f.module, f.function, f.lineno) for f in exc.frames] == [
            ("main", "main", 13),
            ("main", "pickWarehouse", 7),
        ]
        assert all(f.in_app and f.filename == "/app/index_out_of_range.go" for f in exc.frames)

    def test_nil_pointer_with_signal_line(self) -> None:
        """The '[signal SIGSEGV ...]' line is not part of the message."""
        (exc,) = parsed("nil_pointer.txt").chain
        assert exc.type == "runtime.Error"
        assert exc.message == "invalid memory address or nil pointer dereference"
        assert exc.frames[-1].function == "customerName"

    def test_error_value(self) -> None:
        """panic(err) prints err.Error(): type 'panic', the text as message."""
        (exc,) = parsed("error_value.txt").chain
        assert exc.type == "panic"
        assert exc.message == (
            "load config: open /nonexistent/logship/config.yaml: no such file or directory"
        )
        assert exc.frames[-1].function == "loadConfig"
        assert exc.frames[-1].lineno == 12

    def test_unprintable_value_gives_its_type(self) -> None:
        """'panic: (*main.PaymentDeclined) 0xc000082000': the type, not the address."""
        (exc,) = parsed("custom_value.txt").chain
        assert exc.type == "*main.PaymentDeclined"
        assert exc.message == ""

    def test_repanic_chain(self) -> None:
        """'[recovered]' then a nested panic: the last panic first, the first as context."""
        trace = parsed("repanic.txt")
        assert [(e.type, e.message) for e in trace.chain] == [
            ("panic", "cleanup after queue closed failed"),
            ("panic", "queue closed"),
        ]
        assert [e.relation for e in trace.chain] == [None, Relation.CONTEXT]
        assert len(trace.chain[0].frames) == 5
        assert trace.chain[1].frames == ()
        builtin = trace.chain[0].frames[-2]
        assert (builtin.module, builtin.function, builtin.in_app) == ("", "panic", False)

    def test_goroutine_with_created_by(self) -> None:
        """A module package's method frames; 'created by' is the oldest frame."""
        (exc,) = parsed("goroutine_nil_map.txt").chain
        assert exc.type == "panic"
        assert exc.message == "assignment to entry in nil map"
        assert [(f.module, f.function, f.lineno) for f in exc.frames] == [
            ("example.com/shop/orders", "(*Service).Import", 19),
            ("example.com/shop/orders", "(*Service).Import.func1", 22),
            ("example.com/shop/orders", "(*Service).SetPrice", 15),
        ]
        assert all(f.in_app for f in exc.frames)

    def test_log_panicf(self) -> None:
        """log.Panicf: the log line is the message; log.Panicf itself is not in-app."""
        trace = parsed("log_panic.txt")
        assert trace.message == "required setting LOGSHIP_TEST_UNSET_SETTING is missing"
        (exc,) = trace.chain
        assert exc.message == trace.message
        panicf = exc.frames[-1]
        assert (panicf.module, panicf.function, panicf.in_app) == ("log", "Panicf", False)
        assert panicf.filename == "/usr/lib/go-1.19/src/log/log.go"


def sample_entry(name: str, entry_id: str) -> str:
    """One entry's text from a sample program's output (``tests/parse/samples``)."""
    directory = Path(__file__).parent / "samples" / name
    lines = (directory / "output.log").read_text(encoding="utf-8").splitlines()
    truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
    (entry,) = (e for e in truth["entries"] if e["id"] == entry_id)
    return "\n".join(lines[entry["first"] : entry["last"] + 1])


class TestCurrentToolchain:
    """Go 1.27's output (``tests/parse/samples/go-panic``)."""

    def test_goroutine_header_with_gp_and_m(self) -> None:
        """GOTRACEBACK=system's 'goroutine 1 gp=0x... m=0 mp=0x... [running]:' is a header."""
        text = sample_entry("go-panic", "crash-b-2")
        assert "goroutine 1 gp=0x" in text
        trace = go.parse(text)
        assert trace is not None
        assert trace.chain[0].message == "assignment to entry in nil map"
        in_app = [frame.function for frame in trace.chain[0].frames if frame.in_app]
        assert in_app == ["main", "reserve"]

    def test_default_header(self) -> None:
        """The same panic under the default GOTRACEBACK has the same in-app frames."""
        trace = go.parse(sample_entry("go-panic", "crash-b-1"))
        assert trace is not None
        assert [frame.function for frame in trace.chain[0].frames if frame.in_app] == [
            "main",
            "reserve",
        ]


class TestFatalErrors:
    def test_deadlock(self) -> None:
        """'fatal error: X' has its own type."""
        (exc,) = parsed("deadlock.txt").chain
        assert (exc.type, exc.message) == ("fatal error", "all goroutines are asleep - deadlock!")
        assert [f.function for f in exc.frames] == ["main"]

    def test_stack_overflow_reads_first_goroutine_only(self) -> None:
        """The runtime stack and the other goroutines printed after it are skipped."""
        trace = parsed("stack_overflow.txt")
        assert trace.message == ""  # the "runtime: ..." diagnostics are not a message
        (exc,) = trace.chain
        assert (exc.type, exc.message) == ("fatal error", "stack overflow")
        assert len(exc.frames) == 100
        assert {f.function for f in exc.frames} == {"depth"}
        assert exc.frames[-1].lineno == 4


class TestRecoveredStacks:
    def test_http_server_panic(self) -> None:
        """net/http's 'http: panic serving ADDR: VALUE' log line and the goroutine after it."""
        trace = parsed("http_handler.txt")
        assert trace.message.startswith("http: panic serving 127.0.0.1:")
        (exc,) = trace.chain
        assert exc.type == "runtime.Error"
        assert exc.message == "index out of range [5] with length 3"
        assert len(exc.frames) == 7
        assert [f.function for f in exc.frames if f.in_app] == ["orderHandler"]
        created_by = exc.frames[0]
        assert (created_by.module, created_by.function) == ("net/http", "(*Server).Serve")
        assert exc.frames[-1].function == "(*conn).serve.func1"


class TestDeferredCalls:
    """Frames above the last ``panic(``: deferred calls that ran while it panicked."""

    @pytest.mark.parametrize(
        ("entry", "handler", "failing"),
        [
            ("recovered", "settle.func1", "(*Ledger).Post"),
            ("repanicked", "retry.func1", "firstItem"),
        ],
    )
    def test_the_failing_call_is_the_innermost_in_app_frame(
        self, entry: str, handler: str, failing: str
    ) -> None:
        """A recover that panics again is shown, not taken for where it failed."""
        trace = go.parse(sample_entry("go-shapes", entry))
        assert trace is not None
        frames = trace.chain[0].frames
        assert frames[-1].function == handler
        assert not frames[-1].in_app
        assert [f.function for f in frames if f.in_app][-1] == failing


class TestInApp:
    @pytest.mark.parametrize(
        ("package", "filename", "expected"),
        [
            ("main", "/app/main.go", True),
            ("example.com/shop/orders", "/app/orders/orders.go", True),
            ("net/http", "/usr/local/go/src/net/http/server.go", False),
            ("runtime", "", False),
            (
                "github.com/gin-gonic/gin",
                "/root/go/pkg/mod/github.com/gin-gonic/gin@v1/gin.go",
                False,
            ),
            ("golang.org/x/sync/errgroup", "", False),
        ],
    )
    def test_heuristic(self, package: str, filename: str, expected: bool) -> None:
        """The standard library, module cache and x/ packages are not the service's code."""
        assert go.is_in_app(package, filename) is expected


class TestRejects:
    @pytest.mark.parametrize(
        ("language", "name"),
        [
            ("java", "chained_socket_timeout.txt"),
            ("dotnet", "coreclr_unhandled_inner.txt"),
            ("node", "uncaught_throw.txt"),
            ("python", "raise_from_timeout.txt"),
        ],
    )
    def test_other_languages(self, language: str, name: str) -> None:
        """Java, .NET, Node.js and Python traces are not Go panics."""
        assert go.parse(fixture(name, language)) is None

    def test_panic_line_without_goroutine(self) -> None:
        """A bare 'panic:' line with no stack is not enough."""
        assert go.parse("panic: something went wrong") is None


class TestLimits:
    def test_hundred_thousand_frames(self) -> None:
        """A synthetic 100,000-frame goroutine: frames capped, the rest counted."""
        frame = "main.depth(0x0?)\n\t/app/main.go:5 +0x1c\n"
        text = "panic: deep\n\ngoroutine 1 [running]:\n" + frame * 100_000 + "exit status 2\n"
        trace = go.parse(text)
        assert trace is not None
        (exc,) = trace.chain
        assert len(exc.frames) == 2 * MAX_FRAMES_KEPT
        assert exc.frames_omitted == 100_000 - 2 * MAX_FRAMES_KEPT

    def test_thousand_repanics_keep_both_ends(self) -> None:
        """1,000 real re-panics: the last ones (what ended the program) and the first raised."""
        trace = parsed("deep_repanic.txt")
        assert len(trace.chain) == MAX_EXCEPTIONS
        outer, root = trace.chain[0], trace.chain[-1]
        assert (outer.type, outer.message) == ("panic", "retry level 1 failed")
        assert (outer.frames[-1].module, outer.frames[-1].function) == ("main", "retry.func1")
        assert (root.type, root.message) == (
            "runtime.Error",
            "index out of range [1000] with length 0",
        )
        half = MAX_EXCEPTIONS // 2
        assert trace.chain[half - 1].message == f"retry level {half} failed"
        assert trace.chain[half].message == f"retry level {1000 - half + 1} failed"
        assert [e.relation for e in trace.chain[1:]] == [Relation.CONTEXT] * (MAX_EXCEPTIONS - 1)
        assert all(not e.frames for e in trace.chain[1:])  # the goroutine's frames are B's


class TestRobustness:
    @given(st.text(alphabet=st.sampled_from(list("panic: goroutine 1[running]\n\t/a.go:1 +0x()"))))
    def test_never_raises(self, text: str) -> None:
        """Arbitrary text gives None or a trace, never an exception."""
        trace = go.parse(text)
        assert trace is None or trace.chain
