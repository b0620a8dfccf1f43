"""Tests for logship.parse._lazy: patterns compiled on first use, parsers imported on first use."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import logship.parse
from logship.parse._lazy import LazyPattern

ROOT = Path(__file__).parent.parent.parent
MODULES = (
    "context",
    "dart",
    "dotnet",
    "go",
    "java",
    "line",
    "node",
    "php",
    "python",
    "ruby",
    "structured",
)


def _lazy_patterns() -> list[tuple[str, LazyPattern]]:
    """Every LazyPattern the parse modules hold, directly or in a wrapper's ``pattern``."""
    found = []
    for name in MODULES:
        module = importlib.import_module(f"logship.parse.{name}")
        for attribute, value in vars(module).items():
            pattern = getattr(value, "pattern", None)
            if isinstance(value, LazyPattern):
                found.append((f"{name}.{attribute}", value))
            elif isinstance(pattern, LazyPattern):
                found.append((f"{name}.{attribute}", pattern))
    return found


class TestLazyPattern:
    def test_every_module_pattern_compiles(self) -> None:
        """A typo in a pattern would surface only at its first use: compile them all here."""
        patterns = _lazy_patterns()
        assert len(patterns) > 70
        for _name, pattern in patterns:
            assert isinstance(pattern.compiled(), re.Pattern)

    def test_compiles_on_first_use_and_binds_the_methods(self) -> None:
        """Nothing is compiled before a method is called; afterwards the calls go straight to re."""
        pattern = LazyPattern(r"(?P<word>[a-z]+)(\d+)", re.IGNORECASE)
        assert "match" not in vars(pattern)
        assert pattern.match("Order42") is not None
        compiled = re.compile(r"(?P<word>[a-z]+)(\d+)", re.IGNORECASE)
        assert vars(pattern)["search"] == compiled.search

    @given(text=st.text(alphabet="abAB12 -\n:", max_size=30), start=st.integers(0, 5))
    def test_methods_behave_as_the_compiled_pattern(self, text: str, start: int) -> None:
        """match, fullmatch, search, sub, findall and finditer give what re's own do."""
        source = r"(?m)^(a+)b|\d"
        lazy, compiled = LazyPattern(source), re.compile(source)

        def spans(match: re.Match[str] | None) -> tuple[int, int] | None:
            return match.span() if match else None

        assert spans(lazy.match(text, start)) == spans(compiled.match(text, start))
        assert spans(lazy.fullmatch(text)) == spans(compiled.fullmatch(text))
        assert spans(lazy.search(text, start)) == spans(compiled.search(text, start))
        assert lazy.sub("<X>", text) == compiled.sub("<X>", text)
        assert lazy.findall(text) == compiled.findall(text)
        assert [m.span() for m in lazy.finditer(text)] == [
            m.span() for m in compiled.finditer(text)
        ]


class TestLazyParsers:
    def test_import_leaves_the_language_parsers_unloaded(self) -> None:
        """A fresh interpreter importing the parse stage loads no language parser nor context."""
        code = (
            "import sys, logship.parse; "
            "print(sorted(m for m in sys.modules if m.startswith('logship.parse.')))"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
        )
        loaded = {name.rsplit(".", 1)[1] for name in eval(result.stdout)}
        assert loaded == {"_lazy", "line", "structured"}

    def test_language_parsers_keep_their_order(self) -> None:
        """language_parsers() names the parsers, most specific first, with their parse."""
        parsers = logship.parse.language_parsers()
        assert [name for name, _ in parsers] == [
            "python",
            "go",
            "dart",
            "php",
            "dotnet",
            "java",
            "ruby",
            "node",
        ]
        for name, parse in parsers:
            assert parse is importlib.import_module(f"logship.parse.{name}").parse
