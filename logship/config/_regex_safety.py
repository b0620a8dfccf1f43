"""A cheap static check for the regexes that backtrack catastrophically.

The classic ReDoS shape is a quantified group whose body is itself
unboundedly quantified: ``(a+)+$``, ``(\\w*)*x``, ``(.*,){1,999}``. On a
near-miss input the engine tries every way to split the text between the two
quantifiers. This check rejects that shape at load time unless the user has
taken backtracking away (a possessive quantifier ``++`` or an atomic group
``(?>...)``, both supported by the ``regex`` package).

It is a heuristic, not a proof: overlapping alternations (``(a|aa)+``) pass
it, which is why every match also runs with a timeout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A bounded repeat with a large upper bound backtracks like an unbounded one.
_LARGE_REPEAT = 50

_BRACES = re.compile(r"\{(\d*)(,?)(\d*)\}")


@dataclass(slots=True)
class _Group:
    atomic: bool
    repeats: bool = False  # the body holds an unbounded, backtracking quantifier


@dataclass(frozen=True, slots=True)
class _Quantifier:
    length: int  # characters it takes in the pattern, its lazy/possessive suffix included
    unbounded: bool
    possessive: bool


def nested_quantifier(pattern: str) -> int | None:
    """The offset of a quantified group that repeats a repeat, or None when there is none."""
    stack: list[_Group] = []
    i, end = 0, len(pattern)
    while i < end:
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _skip_class(pattern, i)
            continue
        if char == "(":
            if pattern.startswith("(?#", i):
                close = pattern.find(")", i)
                i = end if close < 0 else close + 1
                continue
            stack.append(_Group(atomic=pattern.startswith("(?>", i)))
            i += 1
            continue
        if char == ")" and stack:
            group = stack.pop()
            quantifier = _quantifier_at(pattern, i + 1)
            repeats = group.repeats and not group.atomic
            if quantifier is not None and quantifier.unbounded and not quantifier.possessive:
                if repeats:
                    return i
                repeats = True
            if stack and repeats:
                stack[-1].repeats = True
            i += 1 + (quantifier.length if quantifier else 0)
            continue
        quantifier = _quantifier_at(pattern, i)
        if quantifier is not None:
            if quantifier.unbounded and not quantifier.possessive and stack:
                stack[-1].repeats = True
            i += quantifier.length
            continue
        i += 1
    return None


def _skip_class(pattern: str, start: int) -> int:
    """The offset just past the character class opening at ``start``."""
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1  # a leading "]" is a literal
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "]":
            return i + 1
        i += 1
    return i


def _quantifier_at(pattern: str, i: int) -> _Quantifier | None:
    if i >= len(pattern):
        return None
    char = pattern[i]
    if char in "*+":
        length, unbounded = 1, True
    elif char == "?":
        length, unbounded = 1, False
    elif char == "{":
        braces = _BRACES.match(pattern, i)
        if braces is None or not (braces.group(1) or braces.group(3)):
            return None  # "{" as a literal, as the engine reads it
        low, comma, high = braces.groups()
        unbounded = bool(comma) and (not high or int(high) >= _LARGE_REPEAT)
        unbounded = unbounded or (not comma and int(low or 0) >= _LARGE_REPEAT)
        length = braces.end() - i
    else:
        return None
    suffix = pattern[i + length] if i + length < len(pattern) else ""
    possessive = suffix == "+"
    if suffix in ("+", "?"):
        length += 1
    return _Quantifier(length, unbounded, possessive)
