"""Formats in the wild (issue 13): every framework fixture, scored on both paths.

``tests/formats/<name>/`` holds what a framework printed at its default console
configuration and which lines form each entry; ``tests/parse/samples/`` holds
the small programs the parser's unit tests use, in the same format. Each goes
through the replay pipeline and through ``lambda_handler.handler`` (one
CloudWatch payload holding the whole output as one stream), and must meet the
issue's "done when" on both:

- every error the format marks (a trace, or a level) is found as exactly one
  error, with exactly its lines;
- entries of one group (the two untyped errors, the two traces with one root
  cause) share one fingerprint, and different groups have different ones;
- the logger is found where the format prints one;
- no INFO/WARN entry or noise line is reported as an error.

An untyped error in a format that prints no level (bare ``console.error``,
Django's default handler) cannot be told from any other line: it is counted
as "not markable" in the table and scored nowhere. Run with ``-s`` to see the
table; ``python tests/format_scores.py`` prints it for ``docs/formats.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from format_scores import FORMATS, Score, framework_names, score_framework, table

SAMPLES = Path(__file__).parent / "parse" / "samples"
# Where the "done when" is not met yet, and why. Strict: a fix makes the test fail
# until its entry is removed here.
KNOWN_GAPS = {
    "dotnet-mono": (
        "Mono prints a blank line before 'Unhandled Exception:'; the assembler gives a"
        " blank line to the open entry (Spring Boot's blank line before a trace needs"
        " that), so the untyped ERROR line before the crash takes it"
    ),
    "php-uncaught": (
        "PHP's display_errors prints a blank line before 'Fatal error: Uncaught';"
        " the plain line before it takes the blank line (as in dotnet-mono)"
    ),
    "gunicorn": (
        "gunicorn prints the exception's bare message after the boot failure's"
        " traceback; a plain line after a Python traceback starts an entry (issue 13,"
        " item 4), so the crash misses its last line"
    ),
    "python-shapes": (
        "an exception group's type lines are indented ('  | ExceptionGroup: ...'), so the"
        " assembler never leaves the traceback's frames and joins the plain line after the"
        " group's bottom border ('    +-----')"
    ),
    "rails-untagged": (
        "without log_tags, Rails' 'Class (message):' line has no tag to join the FATAL"
        " line by, and the assembler does not know it as an exception header: the report"
        " splits into the empty FATAL line and an unleveled rest"
    ),
    "ruby-shapes": (
        "Ruby's error_highlight caret ('    ^^^^') puts the assembler in Node's caret state,"
        " which joins whatever follows the '\\tfrom' frames: the next process's lines"
    ),
}


def _case(root: Path, name: str, prefix: str) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[name])] if name in KNOWN_GAPS else []
    return pytest.param(root, name, id=f"{prefix}/{name}", marks=marks)


CASES = [
    *(_case(FORMATS, name, "formats") for name in framework_names(FORMATS)),
    *(_case(SAMPLES, name, "samples") for name in framework_names(SAMPLES)),
]


def _failures(one: Score) -> str:
    return f"{one.name} ({one.path}): " + "; ".join(one.problems)


class TestFormats:
    @pytest.mark.parametrize(("root", "name"), CASES)
    def test_done_when(self, root: Path, name: str) -> None:
        """Found once and exactly, pairs joined, roots apart, logger found, no false errors."""
        replayed, handled = score_framework(name, root)
        print()
        print(table([(replayed, handled)]))
        assert replayed.done, _failures(replayed)
        assert handled.done, _failures(handled)
