"""Tests for logship.parse.ruby on output captured from ruby 3.1 (see fixtures/traces/ruby)."""

from __future__ import annotations

import gzip
import json
import re
import time
from pathlib import Path

import pytest

from logship.parse import ruby
from logship.parse._limits import MAX_EXCEPTIONS
from logship.records import Relation

FIXTURES = Path(__file__).parent.parent / "fixtures" / "traces"

# Ruby 3.4's quoted style with receivers, from irb 3.4.4 as quoted in
# github.com/adambard/learnxinyminutes-docs/pull/5321 (ruby 3.4 is not
# installable on this machine; Debian 12 ships 3.1).
RUBY_34 = (
    "(irb):1:in 'String#+': no implicit conversion of Integer into String (TypeError)\n"
    "\tfrom (irb):1:in '<main>'\n"
    "\tfrom <internal:kernel>:168:in 'Kernel#loop'\n"
    "\tfrom /home/hoser/.local/share/mise/installs/ruby/3.4.4/lib/ruby/gems/3.4.0/gems/"
    "irb-1.15.2/exe/irb:9:in '<top (required)>'\n"
    "\tfrom /home/hoser/.local/share/mise/installs/ruby/3.4.4/bin/irb:25:in 'Kernel#load'\n"
    "\tfrom /home/hoser/.local/share/mise/installs/ruby/3.4.4/bin/irb:25:in '<main>'\n"
)


def fixture(name: str, language: str = "ruby") -> str:
    return (FIXTURES / language / name).read_text()


class TestMarker:
    @pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "ruby").glob("*.txt")))
    def test_every_fixture_matches(self, name: str) -> None:
        """The cheap pre-filter lets every real Ruby backtrace through."""
        assert re.search(ruby.MARKER, fixture(name), re.MULTILINE)

    def test_ruby_34_style_matches(self) -> None:
        """The quoted style of Ruby 3.4 matches too."""
        assert re.search(ruby.MARKER, RUBY_34, re.MULTILINE)


class TestParse:
    def test_uncaught_runtime_error(self) -> None:
        """The header holds the raising frame; "from" lines follow, reversed into Sentry order."""
        trace = ruby.parse(fixture("uncaught.txt"))
        assert trace is not None
        assert trace.language == "ruby"
        (exc,) = trace.chain
        assert (exc.type, exc.message) == ("RuntimeError", "payment declined for order 42")
        assert [f.function for f in exc.frames] == [
            "<main>",
            "process",
            "each",
            "block in process",
            "charge",
        ]
        assert (exc.frames[-1].filename, exc.frames[-1].lineno) == ("/app/uncaught.rb", 4)
        assert all(f.in_app for f in exc.frames)

    def test_cause_follows_the_backtrace(self) -> None:
        """Ruby prints the cause's header after the backtrace: it becomes a CAUSE."""
        trace = ruby.parse(fixture("cause.txt"))
        assert trace is not None
        assert [(e.type, e.relation) for e in trace.chain] == [
            ("OrderImportError", None),
            ("JSON::ParserError", Relation.CAUSE),
        ]
        outer, cause = trace.chain
        assert outer.message == "cannot import order"
        assert outer.frames[-1].function == "rescue in parse_order"
        assert cause.message.endswith("unexpected token at '<html>502 Bad Gateway</html>'")
        assert cause.frames[-1].filename == "/usr/lib/ruby/3.1.0/json/common.rb"
        assert not cause.frames[-1].in_app
        assert cause.frames[-3].in_app

    def test_stdlib_connection_refused(self) -> None:
        """A real ECONNREFUSED from Net::HTTP: namespaced type, stdlib frames not in-app."""
        trace = ruby.parse(fixture("connection_refused.txt"))
        assert trace is not None
        assert [e.type for e in trace.chain] == ["Errno::ECONNREFUSED", "Errno::ECONNREFUSED"]
        outer = trace.chain[0]
        assert outer.message.startswith("Failed to open TCP connection to 127.0.0.1:")
        assert len(outer.frames) == 16
        assert [f.in_app for f in outer.frames].count(True) == 2
        assert outer.frames[1].function == "fetch_rates"

    def test_logger_error_style(self) -> None:
        """Logger#error(exc): "message (Class)" after the prefix, then bare frame lines."""
        trace = ruby.parse(fixture("logger_error.txt"))
        assert trace is not None
        assert trace.message == ""
        (exc,) = trace.chain
        assert (exc.type, exc.message) == ("ArgumentError", 'invalid value for Integer(): "ten"')
        assert [f.function for f in exc.frames] == [
            "<main>",
            "total",
            "sum",
            "block in total",
            "Integer",
        ]

    def test_multiline_message(self) -> None:
        """Ruby prints the type after the first line; the rest of the message follows."""
        trace = ruby.parse(fixture("multiline_message.txt"))
        assert trace is not None
        exc = trace.chain[0]
        assert exc.type == "ArgumentError"
        assert exc.message == "invalid order:\nsku: required\nquantity: required"
        assert [f.function for f in exc.frames] == ["<main>", "validate"]

    def test_ruby_34_quoted_labels(self) -> None:
        """Ruby 3.4: quoted labels with receivers give the frame's module."""
        trace = ruby.parse(RUBY_34)
        assert trace is not None
        exc = trace.chain[0]
        assert (exc.type, exc.message) == (
            "TypeError",
            "no implicit conversion of Integer into String",
        )
        raising = exc.frames[-1]
        assert (raising.function, raising.module, raising.filename) == (
            "String#+",
            "String",
            "(irb)",
        )
        loop = exc.frames[-3]
        assert (loop.function, loop.module, loop.in_app) == ("Kernel#loop", "Kernel", False)
        assert not exc.frames[-4].in_app  # under lib/ruby/gems

    @pytest.mark.parametrize(
        "path",
        sorted(p for p in FIXTURES.glob("*/*.txt") if p.parent.name != "ruby"),
        ids=lambda p: f"{p.parent.name}/{p.name}",
    )
    def test_other_languages_are_not_ruby(self, path: Path) -> None:
        """Every other runtime's fixture (Java, .NET and Go included) is left alone."""
        assert ruby.parse(path.read_text()) is None

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "I, [2024-05-01T12:00:00.000000 #1]  INFO -- : order 42 charged",
            "app.rb:3:in `x'",
            "\tfrom app.rb:3:in `x'",
            "boom (RuntimeError)\n",
        ],
    )
    def test_no_trace_or_weird_input(self, text: str) -> None:
        """Lines without a header give None, never an exception."""
        assert ruby.parse(text) is None

    def test_long_line_is_linear(self) -> None:
        """A long line with many colons does not make the regexes backtrack."""
        text = "a:1:" * 100_000 + "\n\tfrom " + "b:" * 100_000
        started = time.perf_counter()
        ruby.parse(text)
        assert time.perf_counter() - started < 1.0


class TestLimits:
    def test_thousand_deep_cause_chain_keeps_both_ends(self) -> None:
        """A real 1,000-deep chain of causes: the outer half and the root-cause half."""
        with gzip.open(FIXTURES / "ruby" / "deep_chain.txt.gz", "rt") as handle:
            trace = ruby.parse(handle.read())
        assert trace is not None
        assert len(trace.chain) == MAX_EXCEPTIONS
        outer, root = trace.chain[0], trace.chain[-1]
        assert (outer.type, outer.message) == ("RetryError", "retry level 999 failed")
        assert (outer.frames[-1].function, outer.frames[-1].lineno) == ("retry_import", 20)
        assert root.type == "JSON::ParserError"
        assert root.message == "859: unexpected token at '<html>502 Bad Gateway</html>'"
        assert [f.function for f in root.frames[-2:]] == ["parse", "parse"]
        half = MAX_EXCEPTIONS // 2
        assert trace.chain[half - 1].message == f"retry level {1000 - half} failed"
        assert trace.chain[half].message == f"retry level {half - 1} failed"
        assert [e.relation for e in trace.chain] == [None] + [Relation.CAUSE] * (MAX_EXCEPTIONS - 1)


def format_entry(name: str, entry_id: str, root: Path | None = None) -> str:
    """One entry's text from a framework fixture (``tests/formats/<name>``) or ``root/<name>``."""
    directory = (root or Path(__file__).parent.parent / "formats") / name
    lines = (directory / "output.log").read_text(encoding="utf-8").splitlines()
    truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
    (entry,) = (e for e in truth["entries"] if e["id"] == entry_id)
    return "\n".join(lines[entry["first"] : entry["last"] + 1])


class TestRails:
    """Rails' request log (``tests/formats/rails``): tagged lines, 'Class (message):'."""

    def test_tagged_report(self) -> None:
        """The request id tags are read through; the header gives type and message."""
        trace = ruby.parse(format_entry("rails", "trace-timeout-1"))
        assert trace is not None
        (exc,) = trace.chain
        assert exc.type == "GatewayError"
        assert exc.message == "rate lookup failed for payment 1003"
        assert [frame.function for frame in exc.frames][-1] == "rescue in fetch_rate"

    def test_untagged_report(self) -> None:
        """Without log_tags the same report reads the same: the "  " line is skipped."""
        text = format_entry("rails-untagged", "trace-timeout-1", Path(__file__).parent / "samples")
        assert "[" not in text.splitlines()[1]  # the header line carries no tag
        trace = ruby.parse(text)
        assert trace is not None
        (exc,) = trace.chain
        assert exc.type == "GatewayError"
        assert exc.message == "rate lookup failed for payment 1003"
        assert [frame.function for frame in exc.frames] == [
            "charge",
            "fetch_rate",
            "rescue in fetch_rate",
        ]
