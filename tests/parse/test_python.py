"""Tests for logship.parse.python on tracebacks printed by python3.11 (fixtures/traces/python)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from logship.parse import python
from logship.parse._limits import MAX_EXCEPTIONS, MAX_FRAMES_KEPT
from logship.records import Relation

FIXTURES = Path(__file__).parent.parent / "fixtures" / "traces"


def fixture(name: str, language: str = "python") -> str:
    return (FIXTURES / language / name).read_text()


class TestMarker:
    @pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "python").glob("*.txt")))
    def test_every_fixture_matches(self, name: str) -> None:
        """The cheap pre-filter lets every real traceback through."""
        assert re.search(python.MARKER, fixture(name), re.MULTILINE)

    def test_plain_line_does_not_match(self) -> None:
        """An INFO line is turned away by the marker alone."""
        assert not re.search(python.MARKER, "INFO [orders] charged order 42", re.MULTILINE)


class TestParse:
    def test_logging_exception_with_prefix_line(self) -> None:
        """logging.exception: the prefix line is the message, the traceback the chain."""
        trace = python.parse(fixture("logging_exception.txt"))
        assert trace is not None
        assert trace.language == "python"
        assert trace.message.endswith("ERROR [orders] Failed to charge order 42")
        (exc,) = trace.chain
        assert exc.type == "ValueError"
        assert exc.message == "invalid literal for int() with base 10: 'abc'"
        assert [f.function for f in exc.frames] == ["handle", "parse_quantity"]
        assert exc.frames[-1].lineno == 6
        assert exc.frames[-1].filename == "/app/logging_exception.py"
        assert exc.relation is None

    def test_raise_from_puts_outermost_first(self) -> None:
        """raise ... from: the wrapper is chain[0], the real socket timeout its cause."""
        trace = python.parse(fixture("raise_from_timeout.txt"))
        assert trace is not None
        assert [e.type for e in trace.chain] == ["shop.errors.PaymentError", "TimeoutError"]
        assert [e.relation for e in trace.chain] == [None, Relation.CAUSE]
        outer, root = trace.chain
        assert outer.message == "Failed to charge order 42: provider timed out"
        assert root.message == "timed out"
        assert [f.function for f in outer.frames] == ["<module>", "main", "charge"]

    def test_stdlib_frames_are_not_in_app(self) -> None:
        """Frames under lib/python3.x are library code; the application's are in-app."""
        trace = python.parse(fixture("raise_from_timeout.txt"))
        assert trace is not None
        root = trace.chain[-1]
        assert len(root.frames) == 12
        assert [f.in_app for f in root.frames[:2]] == [True, True]
        assert not any(f.in_app for f in root.frames[2:])
        assert root.frames[-1].function == "readinto"
        assert root.frames[-1].module == "socket"
        assert root.frames[2].module == "urllib.request"

    def test_implicit_context(self) -> None:
        """ "During handling of the above exception" becomes a CONTEXT relation."""
        trace = python.parse(fixture("implicit_context.txt"))
        assert trace is not None
        assert [e.type for e in trace.chain] == ["ValueError", "KeyError"]
        assert trace.chain[1].relation is Relation.CONTEXT
        assert trace.chain[1].message == "'pear'"

    def test_module_qualified_type_from_stdlib(self) -> None:
        """json.decoder.JSONDecodeError keeps its module path; the raising frame is the stdlib's."""
        trace = python.parse(fixture("json_decode.txt"))
        assert trace is not None
        (exc,) = trace.chain
        assert exc.type == "json.decoder.JSONDecodeError"
        assert exc.message == "Expecting value: line 1 column 1 (char 0)"
        assert exc.frames[-1].function == "raw_decode"
        assert exc.frames[-1].module == "json.decoder"
        assert not exc.frames[-1].in_app
        assert exc.frames[0].in_app

    def test_cause_without_traceback(self) -> None:
        """A cause that was never raised prints as one line above the chain; it is kept."""
        trace = python.parse(fixture("unraised_cause.txt"))
        assert trace is not None
        assert trace.message == ""
        assert [(e.type, e.relation) for e in trace.chain] == [
            ("RuntimeError", None),
            ("ConnectionResetError", Relation.CAUSE),
        ]
        assert trace.chain[1].message == "gateway closed the connection for order 42"
        assert trace.chain[1].frames == ()

    def test_class_defined_in_a_function(self) -> None:
        """A local class's type keeps its "<locals>" qualified name."""
        trace = python.parse(fixture("local_class_error.txt"))
        assert trace is not None
        (exc,) = trace.chain
        assert exc.type == "make_client.<locals>.QuotaExceeded"
        assert exc.message == "daily quota of 1000 calls used up"
        assert exc.frames[-1].function == "make_client"

    def test_key_error_and_no_message(self) -> None:
        """KeyError keeps its repr quotes; a bare type line gives an empty message."""
        key = python.parse(fixture("key_error.txt"))
        bare = python.parse(fixture("no_message.txt"))
        assert key is not None
        assert bare is not None
        assert (key.chain[0].type, key.chain[0].message) == ("KeyError", "'DATABASE_URL'")
        assert (bare.chain[0].type, bare.chain[0].message) == ("Shutdown", "")

    def test_multiline_message(self) -> None:
        """Lines after the type line belong to the message."""
        trace = python.parse(fixture("multiline_message.txt"))
        assert trace is not None
        assert trace.chain[0].message == "invalid order:\nsku: required\nquantity: required"

    def test_repeated_lines_are_counted(self) -> None:
        """ "[Previous line repeated 996 more times]" counts as omitted frames."""
        trace = python.parse(fixture("recursion.txt"))
        assert trace is not None
        exc = trace.chain[0]
        assert exc.type == "RecursionError"
        assert len(exc.frames) == 4
        assert exc.frames_omitted == 996

    def test_frames_are_capped(self) -> None:
        """1000 frames of mutual recursion: 500 kept from both ends, 500 counted."""
        trace = python.parse(fixture("mutual_recursion.txt"))
        assert trace is not None
        exc = trace.chain[0]
        assert len(exc.frames) == 2 * MAX_FRAMES_KEPT
        assert exc.frames_omitted == 1000 - len(exc.frames)
        assert exc.frames[0].function == "<module>"
        assert exc.frames[-1].function == "ping"

    def test_chain_depth_is_capped(self) -> None:
        """A 120-deep cause chain keeps its outermost and its root-cause ends."""
        trace = python.parse(fixture("deep_chain.txt"))
        assert trace is not None
        assert len(trace.chain) == MAX_EXCEPTIONS
        assert trace.chain[0].message == "level 119"
        assert trace.chain[-1].message == "bottom"

    def test_exception_group_members_are_related(self) -> None:
        """An ExceptionGroup heads the chain; members (with their causes) go to related."""
        trace = python.parse(fixture("exception_group.txt"))
        assert trace is not None
        (group,) = trace.chain
        assert group.type == "ExceptionGroup"
        assert group.message == "checkout failed (3 sub-exceptions)"
        assert [f.function for f in group.frames] == ["<module>", "checkout"]
        assert [(e.type, e.relation) for e in trace.related] == [
            ("RuntimeError", Relation.GROUP),
            ("KeyError", Relation.CAUSE),
            ("ValueError", Relation.GROUP),
            ("ExceptionGroup", Relation.GROUP),
            ("TimeoutError", Relation.GROUP),
        ]
        assert trace.related[0].message == "cannot reserve sku-1"
        assert [f.function for f in trace.related[0].frames] == ["checkout", "<lambda>", "reserve"]

    def test_group_in_the_middle_of_a_chain(self) -> None:
        """A nested group caused by a KeyError and causing a RuntimeError stays in the chain."""
        trace = python.parse(fixture("group_in_chain.txt"))
        assert trace is not None
        assert [e.type for e in trace.chain] == ["RuntimeError", "ExceptionGroup", "KeyError"]
        assert trace.chain[1].message == "outer (2 sub-exceptions)"
        assert [(e.type, e.message) for e in trace.related] == [
            ("ExceptionGroup", "inner (2 sub-exceptions)"),
            ("ValueError", "a"),
            ("TypeError", "b"),
            ("OSError", "o"),
        ]

    def test_frozen_frames_not_in_app(self) -> None:
        """importlib's "<frozen importlib._bootstrap>" frames are library code."""
        trace = python.parse(fixture("import_missing.txt"))
        assert trace is not None
        exc = trace.chain[0]
        assert exc.type == "ModuleNotFoundError"
        assert exc.message == "No module named 'shop.plugins'"
        assert len(exc.frames) == 10
        assert exc.frames[-1].filename == "<frozen importlib._bootstrap>"
        assert exc.frames[-1].module == ""
        assert exc.frames[2].module == "importlib"
        assert [f.in_app for f in exc.frames].count(True) == 2

    def test_site_packages_frames_not_in_app(self) -> None:
        """A frame in site-packages is a dependency's, with its dotted module name."""
        trace = python.parse(fixture("site_packages.txt"))
        assert trace is not None
        exc = trace.chain[0]
        assert exc.type == "TypeError"
        assert exc.frames[-1].module == "structlog._config"
        assert exc.frames[-1].function == "get_logger"
        assert not exc.frames[-1].in_app
        assert exc.frames[-2].in_app

    @pytest.mark.parametrize(
        "path",
        sorted(p for p in FIXTURES.glob("*/*.txt") if p.parent.name != "python"),
        ids=lambda p: f"{p.parent.name}/{p.name}",
    )
    def test_other_languages_are_not_python(self, path: Path) -> None:
        """Every other runtime's fixture (Java, .NET and Go included) is left alone."""
        assert python.parse(path.read_text()) is None

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "2024-05-01 12:00:00,123 INFO [orders] charged order 42",
            "Traceback (most recent call last):",
            'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n',
            "  + Exception Group Traceback (most recent call last):\n  | \n  +-+--\n",
            "Traceback (most recent call last):\n" + '  File "a", line 1, in f\n' * 3 + "+-+\n",
        ],
    )
    def test_weird_input_never_raises(self, text: str) -> None:
        """Truncated or empty text gives None or a partial trace, never an exception."""
        trace = python.parse(text)
        assert trace is None or trace.chain

    def test_long_line_is_linear(self) -> None:
        """A megabyte of one line is handled quickly (no regex backtracking blow-up)."""
        import time

        text = "Traceback (most recent call last):\n" + '  File "' + "a" * 1_000_000 + "\n"
        started = time.perf_counter()
        python.parse(text)
        assert time.perf_counter() - started < 1.0


class TestLoguru:
    """loguru's tracebacks (``tests/parse/samples/loguru``): '> File', blank lines, values."""

    def test_chain_and_frames(self) -> None:
        """The chain is read through loguru's decorations, the catching frame included."""
        directory = Path(__file__).parent / "samples" / "loguru"
        lines = (directory / "output.log").read_text(encoding="utf-8").splitlines()
        truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
        (entry,) = (e for e in truth["entries"] if e["id"] == "timeout-0")
        trace = python.parse("\n".join(lines[entry["first"] : entry["last"] + 1]))
        assert trace is not None
        assert [exc.type for exc in trace.chain] == ["RuntimeError", "TimeoutError"]
        assert [frame.function for frame in trace.chain[0].frames] == [
            "<module>",
            "charge_flow",
            "run",
            "charge",
        ]
