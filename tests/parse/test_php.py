"""Tests for logship.parse.php on output captured from php 8.2 (see fixtures/traces/php)."""

from __future__ import annotations

import gzip
import json
import re
import time
from pathlib import Path

import pytest

from logship.parse import php
from logship.parse._limits import MAX_EXCEPTIONS
from logship.records import Relation

FIXTURES = Path(__file__).parent.parent / "fixtures" / "traces"


def fixture(name: str, language: str = "php") -> str:
    return (FIXTURES / language / name).read_text()


class TestMarker:
    @pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "php").glob("*.txt")))
    def test_every_fixture_matches(self, name: str) -> None:
        """The cheap pre-filter lets every real PHP error through."""
        assert re.search(php.MARKER, fixture(name), re.MULTILINE)


class TestParse:
    def test_uncaught_namespaced_exception(self) -> None:
        """Frames are rebuilt so each runs the function of the entry below it."""
        trace = php.parse(fixture("uncaught.txt"))
        assert trace is not None
        assert trace.language == "php"
        (exc,) = trace.chain
        assert exc.type == "App\\Billing\\PaymentDeclined"
        assert exc.message == "payment declined for order 42"
        assert [(f.module, f.function, f.lineno) for f in exc.frames] == [
            ("", "{main}", 21),
            ("App\\Billing", "process", 18),
            ("", "array_map", None),
            ("App\\Billing", "{closure}", 18),
            ("App\\Billing\\Charger", "charge", 11),
        ]
        assert exc.frames[-1].filename == "/app/uncaught.php"
        assert exc.frames[-1].in_app
        assert not exc.frames[2].in_app  # [internal function]: no file of its own

    def test_previous_chain_last_next_is_outermost(self) -> None:
        """PHP prints the innermost first; the last "Next" is chain[0]."""
        trace = php.parse(fixture("previous.txt"))
        assert trace is not None
        assert [(e.type, e.relation) for e in trace.chain] == [
            ("DomainException", None),
            ("LogicException", Relation.CAUSE),
            ("RuntimeException", Relation.CAUSE),
        ]
        assert [e.message for e in trace.chain] == [
            "cannot quote order",
            "rates unavailable",
            "cannot read /nonexistent/rates.json",
        ]
        root = trace.chain[-1]
        assert [f.function for f in root.frames] == ["{main}", "quote", "loadRates", "readRates"]
        assert root.frames[-1].lineno == 7

    def test_error_log_timestamp_prefix(self) -> None:
        """php-fpm's error_log prefixes a timestamp; the chain is the same."""
        trace = php.parse(fixture("previous_error_log.txt"))
        assert trace is not None
        assert [e.type for e in trace.chain] == [
            "DomainException",
            "LogicException",
            "RuntimeException",
        ]

    def test_engine_type_error(self) -> None:
        """The engine's TypeError keeps its whole message, "called in ..." included."""
        trace = php.parse(fixture("type_error.txt"))
        assert trace is not None
        (exc,) = trace.chain
        assert exc.type == "TypeError"
        assert exc.message.startswith("total(): Argument #2 must be of type int, string given")
        assert exc.message.endswith("and defined")
        assert [(f.function, f.lineno) for f in exc.frames] == [("{main}", 10), ("total", 5)]

    def test_fatal_error_without_exception(self) -> None:
        """Memory exhaustion: type "PHP Fatal error", one frame at the reported line."""
        trace = php.parse(fixture("memory_exhausted.txt"))
        assert trace is not None
        (exc,) = trace.chain
        assert exc.type == "PHP Fatal error"
        assert exc.message.startswith("Allowed memory size of 8388608 bytes exhausted")
        assert [(f.filename, f.lineno) for f in exc.frames] == [("/app/memory_exhausted.php", 6)]

    def test_warning_is_parsed(self) -> None:
        """A warning parses like an error; the dispatcher decides its level."""
        trace = php.parse(fixture("warning.txt"))
        assert trace is not None
        assert (trace.chain[0].type, trace.chain[0].message) == (
            "PHP Warning",
            'Undefined array key "default"',
        )

    def test_exception_as_string_after_a_log_line(self) -> None:
        """(string) $e has no level: found through "Stack trace:"; the log line is the message."""
        trace = php.parse(fixture("to_string.txt"))
        assert trace is not None
        assert trace.message == "ERROR [orders] Failed to schedule delivery"
        (exc,) = trace.chain
        assert exc.type == "Exception"
        assert exc.message.startswith("Failed to parse time string (next blursday)")
        assert [(f.module, f.function) for f in exc.frames] == [
            ("", "{main}"),
            ("", "deliveryDate"),
            ("DateTimeImmutable", "__construct"),
        ]

    @pytest.mark.parametrize(
        "path",
        sorted(p for p in FIXTURES.glob("*/*.txt") if p.parent.name != "php"),
        ids=lambda p: f"{p.parent.name}/{p.name}",
    )
    def test_other_languages_are_not_php(self, path: Path) -> None:
        """Every other runtime's fixture (Java, .NET and Go included) is left alone."""
        assert php.parse(path.read_text()) is None

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "[01-May-2024 12:00:00 UTC] PHP Notice:  something without a location",
            "PHP Fatal error:  Uncaught Exception: x",
            "PHP Fatal error:  Uncaught Exception: x in /a.php:3\nStack trace:\n#0 garbage",
            "Stack trace:",
            "Stack trace:\n#0 {main}",
        ],
    )
    def test_weird_input_never_raises(self, text: str) -> None:
        """Truncated or odd text gives None or a trace, never an exception."""
        trace = php.parse(text)
        assert trace is None or trace.chain

    def test_long_header_is_linear(self) -> None:
        """A long message full of " in " does not make the parser quadratic."""
        text = "PHP Fatal error:  Uncaught Exception: " + " in x" * 200_000 + "\nStack trace:\n"
        started = time.perf_counter()
        php.parse(text)
        assert time.perf_counter() - started < 1.0


class TestLimits:
    def test_thousand_deep_previous_chain_keeps_both_ends(self) -> None:
        """A real 1,000-deep $previous chain (printed root first): both ends kept, root last."""
        with gzip.open(FIXTURES / "php" / "deep_chain.txt.gz", "rt") as handle:
            trace = php.parse(handle.read())
        assert trace is not None
        assert len(trace.chain) == MAX_EXCEPTIONS
        outer, root = trace.chain[0], trace.chain[-1]
        assert (outer.type, outer.message) == ("RuntimeException", "retry level 999 failed")
        assert (outer.frames[-1].function, outer.frames[-1].lineno) == ("retry", 18)
        assert (root.type, root.message) == ("JsonException", "Syntax error")
        assert [f.function for f in root.frames] == ["{main}", "retry", "loadRates", "json_decode"]
        half = MAX_EXCEPTIONS // 2
        assert trace.chain[half - 1].message == f"retry level {1000 - half} failed"
        assert trace.chain[half].message == f"retry level {half - 1} failed"
        assert [e.relation for e in trace.chain] == [None] + [Relation.CAUSE] * (MAX_EXCEPTIONS - 1)


def format_entry(name: str, entry_id: str) -> str:
    """One entry's text from a framework fixture (``tests/formats/<name>``)."""
    directory = Path(__file__).parent.parent / "formats" / name
    lines = (directory / "output.log").read_text(encoding="utf-8").splitlines()
    truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
    (entry,) = (e for e in truth["entries"] if e["id"] == entry_id)
    return "\n".join(lines[entry["first"] : entry["last"] + 1])


class TestMonologLaravel:
    """Monolog's LineFormatter as Laravel configures it (``tests/formats/monolog-laravel``)."""

    def test_object_blocks_give_the_chain(self) -> None:
        """'[object] (X(code: 0): m at f:n)', '[stacktrace]', then each '[previous exception]'."""
        trace = php.parse(format_entry("monolog-laravel", "trace-refused-1"))
        assert trace is not None
        assert [exc.type for exc in trace.chain] == [
            "App\\Exceptions\\PaymentException",
            "GuzzleHttp\\Exception\\ConnectException",
        ]
        assert trace.chain[0].message == "ledger write failed for order 1003"
        assert trace.chain[1].relation is Relation.CAUSE
        assert any(frame.function == "record" and frame.in_app for frame in trace.chain[0].frames)

    def test_different_roots_differ(self) -> None:
        """The other root cause is another type."""
        trace = php.parse(format_entry("monolog-laravel", "trace-number-1"))
        assert trace is not None
        assert trace.chain[-1].type == "TypeError"

    def test_php5_and_7_uncaught(self) -> None:
        """PHP 5's "PHP Fatal error:  Uncaught exception 'X' with message '...' in f:n".

        No PHP 5 runtime on this machine (Debian has PHP 8.2): the text is the
        documented format (php-src's Zend/zend_exceptions.c before 7.0), not captured.
        """
        text = (
            "PHP Fatal error:  Uncaught exception 'RuntimeException' with message"
            " 'ledger down for order 1003' in /app/app.php:33\n"
            "Stack trace:\n"
            "#0 /app/app.php(144): record()\n"
            "#1 {main}\n"
            "  thrown in /app/app.php on line 33"
        )
        trace = php.parse(text)
        assert trace is not None
        assert trace.chain[0].type == "RuntimeException"
        assert trace.chain[0].message == "ledger down for order 1003"
