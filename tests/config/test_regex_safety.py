"""Tests for logship.config._regex_safety: the static check for catastrophic backtracking."""

from __future__ import annotations

import pytest

from logship.config._regex_safety import nested_quantifier


class TestRedos:
    @pytest.mark.parametrize(
        "pattern", [r"(a+)+$", r"(\w*)*x", r"(?:x+y?)+", r"(.*){1,32000}[bc]", r"((ab)*)+c"]
    )
    def test_nested_quantifiers_rejected(self, pattern: str) -> None:
        """A group that repeats a repeat is found by the static check."""
        assert nested_quantifier(pattern) is not None

    @pytest.mark.parametrize(
        "pattern",
        [
            r"Broken pipe|ECONNRESET",
            r"(?:\d+)?\.\d+",
            r"(?>a+)+$",
            r"(?:a+)++$",
            r"(a+){2}",
            r"[(a+)+]",
            r"\(a+\)+",
            r"timeout after \d+ ?ms",
        ],
    )
    def test_safe_patterns_pass(self, pattern: str) -> None:
        """Bounded, atomic, possessive and escaped shapes are not flagged."""
        assert nested_quantifier(pattern) is None
