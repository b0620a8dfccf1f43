"""Tests for logship.parse.node on output captured from node 20 (see fixtures/traces/node)."""

from __future__ import annotations

import gzip
import json
import re
import time
from pathlib import Path

import pytest

from logship.parse import node
from logship.parse._limits import MAX_EXCEPTIONS, MAX_FRAMES_KEPT
from logship.records import Relation

FIXTURES = Path(__file__).parent.parent / "fixtures" / "traces"


def fixture(name: str, language: str = "node") -> str:
    return (FIXTURES / language / name).read_text()


def pino_stack(message: str) -> str:
    """``err.stack`` of pino's line logged as ``message`` (pino-std-serializers joins causes)."""
    for text in (FIXTURES / "structured" / "pino.jsonl").read_text().splitlines():
        data = json.loads(text)
        if data.get("msg") == message:
            stack: str = data["err"]["stack"]
            return stack
    raise LookupError(message)


class TestDeepChains:
    def test_console_error_prints_three_levels(self) -> None:
        """console.error of a 1,000-deep chain: util.inspect stops at depth 2 ("[Error]")."""
        trace = node.parse(fixture("deep_cause.txt"))
        assert trace is not None
        assert [(e.type, e.message) for e in trace.chain] == [
            ("Error", "retry level 999 failed"),
            ("Error", "retry level 998 failed"),
            ("Error", "retry level 997 failed"),
        ]
        assert [e.relation for e in trace.chain] == [None, Relation.CAUSE, Relation.CAUSE]

    def test_lines_matching_cause_are_counted(self) -> None:
        """ "... 6 lines matching cause stack trace ..." does not end the frames; it is counted."""
        trace = node.parse(fixture("deep_cause.txt"))
        assert trace is not None
        for exc in trace.chain:
            assert [f.function for f in exc.frames] == ["<anonymous>", "retry"]
            assert exc.frames[0].filename == "node:internal/main/run_main_module"
            assert exc.frames_omitted == 6

    def test_inspect_at_unlimited_depth_keeps_the_root_cause(self) -> None:
        """util.inspect(err, {depth: Infinity}) of a 200-deep chain: both ends, root last."""
        with gzip.open(FIXTURES / "node" / "deep_cause_inspect.txt.gz", "rt") as handle:
            trace = node.parse(handle.read())
        assert trace is not None
        assert len(trace.chain) == MAX_EXCEPTIONS
        assert (trace.chain[0].type, trace.chain[0].message) == ("Error", "retry level 199 failed")
        root = trace.chain[-1]
        assert root.type == "SyntaxError"
        assert root.message.startswith("Unexpected token '<'")
        assert [f.function for f in root.frames[-2:]] == ["parseStock", "JSON.parse"]
        half = MAX_EXCEPTIONS // 2
        assert trace.chain[half - 1].message == f"retry level {200 - half} failed"
        assert trace.chain[half].message == f"retry level {half - 1} failed"
        assert [e.relation for e in trace.chain] == [None] + [Relation.CAUSE] * (MAX_EXCEPTIONS - 1)

    def test_pino_caused_by_chain_keeps_the_root_cause(self) -> None:
        """pino's "caused by:" form, 10,000 deep (the real outer error repeated): root kept."""
        outer, root = pino_stack("Failed to charge order 42").split("\ncaused by: ")
        trace = node.parse("\ncaused by: ".join([outer] * 10_000 + [root]))
        assert trace is not None
        assert len(trace.chain) == MAX_EXCEPTIONS
        assert trace.chain[0].type == "Error"
        assert trace.chain[-1].type == "RangeError"
        assert trace.chain[-1].message == "balance unavailable for account 42"
        assert trace.chain[MAX_EXCEPTIONS // 2].relation is Relation.CAUSE


class TestMarker:
    @pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "node").glob("*.txt")))
    def test_every_fixture_matches(self, name: str) -> None:
        """The cheap pre-filter lets every real Node trace through."""
        assert re.search(node.MARKER, fixture(name), re.MULTILINE)

    def test_plain_line_does_not_match(self) -> None:
        """A log line without a trace is turned away."""
        assert not re.search(node.MARKER, "info: order 42 charged at 12:00", re.MULTILINE)


class TestParse:
    def test_uncaught_throw_crash_output(self) -> None:
        """The crash header (file:line, source, caret) is skipped; frames come oldest first."""
        trace = node.parse(fixture("uncaught_throw.txt"))
        assert trace is not None
        assert trace.language == "node"
        assert trace.message == ""
        (exc,) = trace.chain
        assert (exc.type, exc.message) == ("RangeError", "negative quantity for b-2")
        assert len(exc.frames) == 10
        raising = exc.frames[-1]
        assert (raising.function, raising.filename, raising.lineno) == (
            "<anonymous>",
            "/app/uncaught_throw.js",
            8,
        )
        assert raising.in_app
        functions = [f.function for f in exc.frames]
        assert functions[-5:-1] == ["Object.<anonymous>", "loadCart", "new Cart", "Array.map"]
        assert exc.frames[-2].filename == "<anonymous>"
        assert not exc.frames[-2].in_app
        assert exc.frames[0].filename == "node:internal/modules/run_main"
        assert not exc.frames[0].in_app

    def test_console_error_with_cause(self) -> None:
        """util.inspect's "[cause]:" block becomes the next exception, related by CAUSE."""
        trace = node.parse(fixture("cause_console_error.txt"))
        assert trace is not None
        assert [e.type for e in trace.chain] == ["Error", "Error"]
        assert [e.relation for e in trace.chain] == [None, Relation.CAUSE]
        outer, cause = trace.chain
        assert outer.message == "cannot reserve sku-42"
        assert cause.message == "stock service unavailable for sku-42"
        # "at async reserve" loses its "async " prefix.
        assert [f.function for f in cause.frames] == ["reserve", "readStock"]

    def test_fetch_failed_with_undici_cause(self) -> None:
        """fetch's TypeError with its real ECONNREFUSED cause; the text before is the message."""
        trace = node.parse(fixture("fetch_failed.txt"))
        assert trace is not None
        assert trace.message == "Failed to load prices"
        assert [e.type for e in trace.chain] == ["TypeError", "Error"]
        outer, cause = trace.chain
        assert outer.message == "fetch failed"
        assert cause.message.startswith("connect ECONNREFUSED 127.0.0.1:")
        assert cause.relation is Relation.CAUSE
        assert cause.frames[-1].function == "TCPConnectWrap.afterConnect [as oncomplete]"
        assert cause.frames[-1].module == "node:net"
        assert outer.frames[0].function == "loadPrices"
        assert outer.frames[0].in_app

    def test_unhandled_rejection_of_an_error(self) -> None:
        """Node's crash on an unhandled rejected Error."""
        trace = node.parse(fixture("unhandled_rejection_error.txt"))
        assert trace is not None
        (exc,) = trace.chain
        assert (exc.type, exc.message) == ("Error", "settlement failed for order 42")
        assert [(f.function, f.lineno) for f in exc.frames] == [("settle", 6)]

    def test_unhandled_rejection_of_a_string_node20(self) -> None:
        """Node 20 names the wrapper UnhandledPromiseRejection and prints a stack."""
        trace = node.parse(fixture("unhandled_rejection_string.txt"))
        assert trace is not None
        (exc,) = trace.chain
        assert exc.type == "UnhandledPromiseRejection"
        assert exc.message.endswith('The promise rejected with the reason "refund window closed".')
        assert not any(f.in_app for f in exc.frames)

    def test_unhandled_rejection_of_a_string_bracketed(self) -> None:
        """Node 16/18 print the same error in brackets, without frames.

        Documented format: node 18 is not installable here; the text is the crash
        output quoted in github.com/filipedeschamps/video-maker/issues/357.
        """
        text = (
            "node:internal/process/promises:279\n"
            "            triggerUncaughtException(err, true /* fromPromise */);\n"
            "            ^\n"
            "\n"
            "[UnhandledPromiseRejection: This error originated either by throwing inside of an"
            " async function without a catch block, or by rejecting a promise which was not"
            ' handled with .catch(). The promise rejected with the reason "authorization'
            ' required".] {\n'
            "  code: 'ERR_UNHANDLED_REJECTION'\n"
            "}\n"
        )
        trace = node.parse(text)
        assert trace is not None
        (exc,) = trace.chain
        assert exc.type == "UnhandledPromiseRejection"
        assert exc.message.endswith('reason "authorization required".')
        assert exc.frames == ()

    def test_error_with_code_and_properties(self) -> None:
        """ "TypeError [ERR_X]: msg" keeps the code in the type; the {...} block is skipped."""
        trace = node.parse(fixture("error_code.txt"))
        assert trace is not None
        (exc,) = trace.chain  # only the first of the two errors in the text
        assert exc.type == "TypeError [ERR_INVALID_ARG_TYPE]"
        assert exc.message.startswith('The "path" argument must be of type string')
        assert exc.frames[-1].function == "Object.readFileSync"
        assert exc.frames[-1].module == "node:fs"
        assert exc.frames[-2].function == "readConfig"

    def test_aggregate_error_members_are_related(self) -> None:
        """Promise.any's AggregateError (no frames, bracketed) with its [errors] as GROUP."""
        trace = node.parse(fixture("aggregate_error.txt"))
        assert trace is not None
        (exc,) = trace.chain
        assert (exc.type, exc.message) == ("AggregateError", "All promises were rejected")
        assert [(e.type, e.message, e.relation) for e in trace.related] == [
            ("Error", "mirror eu unreachable", Relation.GROUP),
            ("Error", "mirror us unreachable", Relation.GROUP),
        ]
        first = trace.related[0]
        assert len(first.frames) == 8
        assert first.frames[-1].function == "fromMirror"
        assert first.frames[0].filename == "node:internal/main/run_main_module"

    def test_esm_file_urls(self) -> None:
        """ES module frames lose their file:// scheme; top-level code is anonymous."""
        trace = node.parse(fixture("esm_throw.txt"))
        assert trace is not None
        exc = trace.chain[0]
        assert (exc.type, exc.message) == ("TypeError", "not an amount: EUR 12,50")
        assert exc.frames[-1].filename == "/app/esm_throw.mjs"
        assert exc.frames[-1].module == "esm_throw"
        assert exc.frames[-2].function == "<anonymous>"

    def test_frames_are_capped(self) -> None:
        """An 800-deep recursion keeps 250 frames from each end."""
        trace = node.parse(fixture("deep_stack.txt"))
        assert trace is not None
        exc = trace.chain[0]
        assert len(exc.frames) == 2 * MAX_FRAMES_KEPT
        assert exc.frames_omitted == 808 - len(exc.frames)
        assert exc.frames[-1].lineno == 7

    def test_pino_caused_by(self) -> None:
        """pino-std-serializers' err.stack: causes after "caused by:"."""
        trace = node.parse(pino_stack("Failed to charge order 42"))
        assert trace is not None
        assert [(e.type, e.relation) for e in trace.chain] == [
            ("Error", None),
            ("RangeError", Relation.CAUSE),
        ]
        assert trace.chain[1].message == "balance unavailable for account 42"
        assert trace.chain[1].frames[-1].function == "readBalance"
        assert trace.chain[0].frames[-1].function == "chargeCard"

    def test_node_modules_frames(self) -> None:
        """A dependency's frame (pino's own) is not in-app and is named after its package."""
        trace = node.parse(pino_stack("invalid logger configuration"))
        assert trace is not None
        frames = trace.chain[0].frames
        assert [(f.function, f.module, f.in_app) for f in frames[-3:]] == [
            ("Object.<anonymous>", "pino_logs", True),
            ("pino", "pino", False),
            ("assertDefaultLevelFound", "pino", False),
        ]
        assert frames[-1].filename == "/app/node_modules/pino/lib/levels.js"

    @pytest.mark.parametrize(
        "path",
        sorted(p for p in FIXTURES.glob("*/*.txt") if p.parent.name != "node"),
        ids=lambda p: f"{p.parent.name}/{p.name}",
    )
    def test_other_languages_are_not_node(self, path: Path) -> None:
        """Every other runtime's fixture (Java, .NET and Go included) is left alone."""
        assert node.parse(path.read_text()) is None

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "info: server listening on 3000",
            "    at ",
            "    at foo (/app/x.js:1:2)",
            "Error: x\n    at f (/a.js:1:1) {\n  [cause]: Error: y\n",
            "[AggregateError: x] {\n  [errors]: [\n    Error: a\n",
            "caused by: \n",
        ],
    )
    def test_weird_input_never_raises(self, text: str) -> None:
        """Truncated or odd text gives None or a trace, never an exception."""
        trace = node.parse(text)
        assert trace is None or trace.chain

    def test_long_lines_are_linear(self) -> None:
        """Long lines of spaces and words do not make the regexes backtrack."""
        text = "Error " + "x " * 200_000 + "\n    at " + " " * 200_000 + "f (/a.js:1:1)"
        started = time.perf_counter()
        node.parse(text)
        assert time.perf_counter() - started < 1.0
