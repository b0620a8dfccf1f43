"""Reading one value of a config file: its type checked, its place named in the error.

Every reader takes a :class:`Where` and raises through it, so each message
names the file, the rule or table and the key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NoReturn

from logship.exceptions import ConfigError

from ._model import LEVELS
from ._regex_safety import nested_quantifier

ACCOUNT_ID = re.compile(r"\d{12}")  # an AWS account id


@dataclass(frozen=True, slots=True)
class Where:
    """Where a value sits in the file, for messages: the file and a rule or table."""

    source: str
    section: str  # "top level", "ignore[2] \"client-aborts\"", "services"

    def fail(self, key: str | None, problem: str) -> NoReturn:
        """Raise the :class:`ConfigError` for ``problem`` with ``key`` here."""
        located = f"{self.source}: {self.section}"
        if key is not None:
            located += f": key {key!r}"
        raise ConfigError(f"{located}: {problem}")


def did_you_mean(word: str, known: tuple[str, ...], *, cutoff: float) -> str:
    """`` (did you mean 'x'?)`` for the known word closest to ``word``, or ""."""
    close = difflib.get_close_matches(word, known, n=1, cutoff=cutoff)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_keys(table: Mapping[str, Any], known: tuple[str, ...], where: Where) -> None:
    """Fail on the first key of ``table`` that is not ``known``, with the closest one."""
    for key in table:
        if key not in known:
            hint = did_you_mean(key, known, cutoff=0.7)
            where.fail(key, f"unknown key{hint}; known keys: {', '.join(known)}")


def string(table: Mapping[str, Any], key: str, where: Where) -> str | None:
    """A string, or None when absent."""
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        where.fail(key, f"expected a string, got {kind_of(value)}")
    return value


def strings(table: Mapping[str, Any], key: str, where: Where) -> tuple[str, ...]:
    """A string or an array of strings, as a tuple; absent is empty."""
    value = table.get(key)
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        hint = " (quote account ids)" if key == "account" and isinstance(value, int) else ""
        where.fail(key, f"expected a string or an array of strings, got {kind_of(value)}{hint}")
    for item in items:
        if not isinstance(item, str):
            where.fail(key, f"expected strings, got {kind_of(item)} {item!r}")
        if not item:
            where.fail(key, "must not hold an empty string")
    return tuple(items)


def integer(table: Mapping[str, Any], key: str, where: Where, *, minimum: int) -> int | None:
    """An integer of at least ``minimum``, or None when absent."""
    value = table.get(key)
    if value is None:
        return None
    # bool is an int in Python; `sample = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        where.fail(key, f"expected an integer, got {kind_of(value)}")
    if value < minimum:
        where.fail(key, f"must be at least {minimum}, got {value}")
    return value


def level(table: Mapping[str, Any], key: str, where: Where) -> str | None:
    """One of :data:`~logship.config.LEVELS`, or None when absent."""
    name = string(table, key, where)
    if name is not None and name not in LEVELS:
        where.fail(key, f"unknown level {name!r}; use one of {', '.join(LEVELS)}")
    return name


def iso_date(table: Mapping[str, Any], key: str, where: Where) -> date | None:
    """A TOML local date (``until = 2024-06-30``) or the same as a string."""
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, datetime):
        where.fail(key, f"expected a date such as 2024-06-30, got a date-time {value.isoformat()}")
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        where.fail(key, f"expected a date such as 2024-06-30, got {kind_of(value)}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        where.fail(key, f"bad date {value!r}: {exc}; write it as 2024-06-30")


def compiled_regex(pattern: str, key: str, where: Where, *, hint: str) -> Any:
    """``pattern`` compiled with the ``regex`` package, once it passed the ReDoS check.

    ``hint`` is how a nesting pattern could backtrack ("for minutes on a
    near-miss"), as the message for this kind of pattern puts it.
    """
    # Imported on the first pattern, not with the loader: about 18 ms that a file
    # of glob-only rules (the common case) never pays at the Lambda's cold start.
    import regex  # type: ignore[import-untyped]  # no stubs; see config.rules.Searcher

    position = nested_quantifier(pattern)
    if position is not None:
        where.fail(
            key,
            f"regex {pattern!r} nests unbounded quantifiers (at offset {position}), which "
            f"can backtrack {hint}; make the outer one possessive (++, *+) or the group "
            "atomic ((?>...))",
        )
    try:
        return regex.compile(pattern)
    except regex.error as exc:
        where.fail(key, f"bad regex {pattern!r}: {exc}")


def is_glob(pattern: str) -> bool:
    """Whether ``pattern`` holds a glob character (``*``, ``?`` or ``[``)."""
    return any(char in pattern for char in "*?[")


def kind_of(value: object) -> str:
    """What a TOML value is, for messages: "an integer", "a table"..."""
    kinds: list[tuple[type, str]] = [
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (list, "an array"),
        (dict, "a table"),
        (datetime, "a date-time"),
        (date, "a date"),
    ]
    for kind, name in kinds:
        if isinstance(value, kind):
            return name
    return type(value).__name__
