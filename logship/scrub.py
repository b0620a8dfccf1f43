"""Scrubbing: secrets and personal data masked in a Sentry event before it leaves the process.

The patterns and the denylist are data, in :mod:`logship.secret_patterns`
(shared with :mod:`logship.mask`); the cheap tests that skip the patterns a text
cannot match are in :mod:`logship.scrub_prefilter`. Here: the :class:`Scrubber`,
which compiles them once, walks an event and masks what they find.

Users add patterns (compiled with the ``regex`` package and run with a timeout,
like the rules' message regexes), switch default patterns off, and keep fields
unscrubbed, in the ``[scrub]`` table of ``logship.toml`` (see
:class:`logship.config.ScrubConfig`). A user pattern that times out fails
closed: the whole string is replaced.

Scrubbing is best-effort pattern matching; ``docs/security.md`` says what it
guarantees and what it does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from logship._cache import BoundedCache
from logship.scrub_prefilter import Trigger, finds, fold
from logship.secret_patterns import (
    DEFAULT_DENYLIST,
    DEFAULT_PATTERNS,
    DENIED_SUFFIXES,
    Run,
    ScrubPattern,
    is_card_number,
    luhn_valid,
)

if TYPE_CHECKING:
    from logship.config import Config, ScrubConfig

__all__ = [
    "ALWAYS_KEPT",
    "DEFAULT_DENYLIST",
    "DEFAULT_PATTERNS",
    "DEFAULT_SCRUBBER",
    "FILTERED",
    "Run",
    "ScrubPattern",
    "Scrubber",
    "Substituter",
    "fold",
    "is_card_number",
    "luhn_valid",
    "parse_path",
    "scrubber_for",
]

FILTERED = "[Filtered]"  # sentry-python's SENSITIVE_DATA_SUBSTITUTE, for denylisted keys

# Event fields never scrubbed: ids and enums Relay validates, which no pattern
# should ever touch (a trace id that lost a digit would make the event invalid).
ALWAYS_KEPT: tuple[tuple[str, ...], ...] = (
    ("event_id",),
    ("timestamp",),
    ("platform",),
    ("level",),
    ("contexts", "trace", "trace_id"),
    ("contexts", "trace", "span_id"),
    ("contexts", "trace", "type"),
    ("contexts", "cloudwatch", "event_ids"),
    ("exception", "values", "mechanism"),
)


class Substituter(Protocol):
    """A compiled pattern of the ``regex`` package: ``sub`` with a timeout."""

    def sub(self, repl: Any, string: str, *, timeout: float | None = None) -> str: ...


class _Compiled:
    """One default-style pattern, compiled."""

    __slots__ = ("keeps_prefix", "name", "regex", "replacement", "validator")

    def __init__(
        self,
        name: str,
        replacement: str,
        regex: re.Pattern[str],
        keeps_prefix: bool,
        validator: Callable[[str], bool] | None,
    ) -> None:
        self.name = name
        self.replacement = replacement
        self.regex = regex
        self.keeps_prefix = keeps_prefix
        self.validator = validator


class _Custom:
    """One user pattern (``regex`` package, run with a timeout)."""

    __slots__ = ("keeps_prefix", "name", "regex", "replacement")

    def __init__(self, name: str, regex: Substituter) -> None:
        self.name = name
        self.replacement = f"[Filtered:{name}]"
        self.regex = regex
        self.keeps_prefix = _group_count(regex) >= 1


def parse_path(path: str) -> tuple[str, ...]:
    """``"tags.aws_account"`` -> ``("tags", "aws_account")``; list indices are not part of paths."""
    return tuple(part for part in path.split(".") if part)


def _compile(pattern: ScrubPattern) -> _Compiled:
    regex = re.compile(pattern.pattern)
    return _Compiled(pattern.name, pattern.replacement, regex, regex.groups >= 1, pattern.validator)


class _Prepared:
    """What a scrubber compiles on first use: its patterns and their triggers.

    Patterns that share a trigger (the three credential ones) share its test:
    ``slots[i]`` is the index in ``triggers`` of pattern ``i``'s test.
    :meth:`may_fire` is a first pass with no call per trigger: the words and
    searches of every ungated trigger, then every gate. One of them holds
    wherever a trigger fires, so a text for which none holds (most of them)
    needs no further look.
    """

    __slots__ = ("gates", "led", "patterns", "searches", "slots", "triggers", "words")

    def __init__(self, patterns: Sequence[ScrubPattern]) -> None:
        self.patterns = tuple(_compile(pattern) for pattern in patterns)
        tests: dict[tuple[str, object], Trigger] = {}
        for pattern in patterns:
            key = (pattern.trigger, pattern.gate)
            if key not in tests:
                tests[key] = Trigger(pattern.trigger, pattern.gate)
        keys = list(tests)
        self.triggers = tuple(tests.values())
        self.slots = tuple(keys.index((p.trigger, p.gate)) for p in patterns)
        ungated = [t for t in self.triggers if t.gate is None]
        self.words = tuple(dict.fromkeys(w for t in ungated for w in t.words))
        self.led = tuple(pair for t in ungated for pair in t.led)
        self.searches = tuple(s for t in ungated for s in t.searches)
        self.gates = tuple(dict.fromkeys(t.gate for t in self.triggers if t.gate is not None))

    def may_fire(self, folded: str) -> bool:
        """False only when no trigger can fire on ``folded``."""
        if finds(self.words, self.led, self.searches, folded):
            return True
        for gate in self.gates:  # noqa: SIM110 (a loop: no generator to create per call)
            if gate(folded):
                return True
        return False


_KEEP = object()  # marks a kept path in the keep trie


def _keep_trie(paths: Iterable[tuple[str, ...]]) -> dict[str, Any]:
    """``{"tags": {"aws_account": _KEEP}}``: the walk follows it key by key."""
    trie: dict[str, Any] = {}
    for path in paths:
        node = trie
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if child is _KEEP:
                break
            node = child
        else:
            node[path[-1]] = _KEEP
    return trie


_DEFAULT_KEEP = _keep_trie(ALWAYS_KEPT)

# Strings up to this long are remembered with what scrubbing made of them: frame
# fields, log group and stream names, tag values and exception types come back
# event after event. A bounded memo: emptied when full.
_MEMO_CHARS = 256
_MEMO_SIZE = 4096

# Keys seen by the denylist check, with its verdict: an event has a few dozen
# keys, nearly all the same from one event to the next.
_DENIED: BoundedCache[str, bool] = BoundedCache(_MEMO_SIZE)


def _denied(key: str) -> bool:
    verdict = _DENIED.get(key)
    if verdict is None:
        normalized = key.lower().replace("-", "_")
        verdict = normalized in DEFAULT_DENYLIST or normalized.endswith(DENIED_SUFFIXES)
        if len(key) <= _MEMO_CHARS:
            _DENIED.put(key, verdict)
    return verdict


class Scrubber:
    """Masks secrets in strings and in whole Sentry event dicts.

    Configurable: the expensive work (compiling the patterns) happens once, on
    first use, so that importing this module (the Lambda's cold start) compiles
    nothing. The instance behaves as immutable afterwards (its memo of short
    strings only remembers results) and is safe to share.
    Call it like a structlog processor or sentry-sdk ``before_send``: it takes
    an event dict and returns a scrubbed copy (the input is not changed).
    """

    def __init__(
        self,
        patterns: Sequence[ScrubPattern] = DEFAULT_PATTERNS,
        *,
        custom: Sequence[tuple[str, Substituter]] = (),
        denylist: bool = True,
        keep: Iterable[str] = (),
        timeout: float | None = None,
    ) -> None:
        """``custom``: (name, compiled ``regex`` pattern) pairs, run after ``patterns``
        with ``timeout`` seconds per string; ``keep``: dotted field paths left alone."""
        self._sources = tuple(patterns)
        self._prepared: _Prepared | None = None
        self._custom = tuple(_Custom(name, regex) for name, regex in custom)
        self._denylist = denylist
        self._cards = any(p.name == "creditcard" for p in self._sources)
        kept = tuple(parse_path(path) for path in keep)
        self._keep = _keep_trie((*ALWAYS_KEPT, *kept)) if kept else _DEFAULT_KEEP
        self._timeout = timeout
        self._memo: BoundedCache[str, str] = BoundedCache(_MEMO_SIZE)
        self._plain = not (self._sources or self._custom)  # scrub_text changes nothing
        self.names: tuple[str, ...] = tuple(p.name for p in self._sources) + tuple(
            c.name for c in self._custom
        )

    @classmethod
    def from_config(cls, scrub: ScrubConfig, *, timeout: float | None = None) -> Scrubber:
        """The scrubber of a ``[scrub]`` table: defaults less ``disable``, and ``patterns``."""
        disabled = set(scrub.disable)
        return cls(
            tuple(p for p in DEFAULT_PATTERNS if p.name not in disabled),
            custom=tuple((p.name, p.compiled) for p in scrub.patterns),
            denylist="denylist" not in disabled,
            keep=scrub.keep,
            timeout=timeout,
        )

    @classmethod
    def disabled(cls) -> Scrubber:
        """A scrubber that changes nothing (tests, and comparing with and without)."""
        return cls((), denylist=False)

    @property
    def enabled(self) -> bool:
        return bool(self._sources or self._custom or self._denylist)

    def keeps(self, path: Sequence[str]) -> bool:
        """Whether :meth:`scrub_event` leaves the value at ``path`` alone (it or a parent is kept).

        For a builder that scrubs each string as it places it: a field it knows
        the path of is scrubbed exactly when this is False.
        """
        node: dict[str, Any] = self._keep
        for part in path:
            child = node.get(part)
            if child is _KEEP:
                return True
            if child is None:
                return False
            node = child
        return False

    def keeps_under(self, path: Sequence[str]) -> bool:
        """Whether anything at or below ``path`` is kept (then ask :meth:`keeps` per key)."""
        node: Any = self._keep
        for part in path:
            node = node.get(part)
            if node is None:
                return False
            if node is _KEEP:
                return True
        return True

    def denies(self, key: str) -> bool:
        """Whether a non-empty value under ``key`` is replaced whole by :data:`FILTERED`."""
        return self._denylist and _denied(key)

    def __call__(self, event: Mapping[str, Any]) -> dict[str, Any]:
        return self.scrub_event(event)

    def scrub_text(self, text: str) -> str:
        """``text`` with every secret the patterns find replaced."""
        if self._plain:
            return text
        short = len(text) <= _MEMO_CHARS
        if short:
            known = self._memo.get(text)
            if known is not None:
                return known
        scrubbed = self._run_patterns(text) if self._sources else text
        for custom in self._custom:
            try:
                scrubbed = custom.regex.sub(
                    _replacer(custom.replacement, custom.keeps_prefix),
                    scrubbed,
                    timeout=self._timeout,
                )
            except TimeoutError:
                # Fail closed: a string we could not check does not leave the process.
                # Not remembered: the next try may finish in time.
                return f"[Filtered:{custom.name} timed out]"
        if short:
            self._memo.put(text, scrubbed)
        return scrubbed

    def _run_patterns(self, text: str) -> str:
        prepared = self._prepared
        if prepared is None:
            prepared = self._prepared = _Prepared(self._sources)
        folded = fold(text)
        if not prepared.may_fire(folded):
            return text  # the common case: no trigger, no pattern to run
        triggers = prepared.triggers
        fired: list[bool | None] = [None] * len(triggers)  # each trigger tested when needed
        for pattern, slot in zip(prepared.patterns, prepared.slots, strict=True):
            found = fired[slot]
            if found is None:
                found = fired[slot] = triggers[slot](folded)
            if found:
                scrubbed = _substitute(pattern, text)
                if scrubbed != text:
                    # Later patterns see the text this one left: their triggers too.
                    text = scrubbed
                    folded = fold(text)
                    fired = [None] * len(triggers)
        return text

    def scrub_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of the Sentry event dict ``event`` with its secrets masked.

        Every string is scrubbed, at any depth, except :data:`ALWAYS_KEPT` and
        the ``keep`` paths; the value of a denylisted key is replaced whole.
        """
        if not self.enabled:
            return dict(event)
        return self._mapping(event, self._keep, {})

    def scrub_at(self, value: Any, path: Sequence[str]) -> Any:
        """``value`` scrubbed as :meth:`scrub_event` scrubs what it finds at ``path``.

        For a builder that places values in an event it scrubs as it goes:
        ``scrub_at(extra, ("extra",))`` is what ``scrub_event`` makes of
        ``event["extra"]``.
        """
        node: dict[str, Any] | None = self._keep
        for part in path:
            child = node.get(part) if node is not None else None
            if child is _KEEP:
                return value
            node = child
        return self._value(value, node, {})

    def _mapping(
        self, value: Mapping[Any, Any], keep: dict[str, Any] | None, seen: dict[str, str]
    ) -> dict[Any, Any]:
        """``keep``: the keep-trie node of this mapping's path (None: nothing kept below)."""
        out: dict[Any, Any] = {}
        for key, item in value.items():
            child = keep.get(key) if keep is not None and isinstance(key, str) else None
            if child is _KEEP:
                out[key] = item
            elif self._denylist and item and isinstance(key, str) and _denied(key):
                out[key] = FILTERED
            else:
                out[key] = self._value(item, child, seen)
        return out

    def _value(self, value: Any, keep: dict[str, Any] | None, seen: dict[str, str]) -> Any:
        """``seen``: the long strings of this walk, scrubbed (short ones are in the memo)."""
        if isinstance(value, str):
            if len(value) <= _MEMO_CHARS:
                return self.scrub_text(value)
            # Repeated strings (a recursion: the same frame 250 times) are scrubbed once.
            scrubbed = seen.get(value)
            if scrubbed is None:
                scrubbed = seen[value] = self.scrub_text(value)
            return scrubbed
        if isinstance(value, Mapping):
            return self._mapping(value, keep, seen)
        if isinstance(value, list | tuple):
            # List indices are not part of paths: every item shares the list's node.
            return [self._value(item, keep, seen) for item in value]
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self._cards
            and is_card_number(str(value))
        ):
            return "[Filtered:creditcard]"  # a card number logged as a JSON number
        return value


def _group_count(regex: Substituter) -> int:
    groups = getattr(regex, "groups", 0)
    return groups if isinstance(groups, int) else 0


def _replacer(replacement: str, keeps_prefix: bool) -> Callable[[Any], str]:
    if keeps_prefix:
        return lambda match: (match.group(1) or "") + replacement
    return lambda _: replacement


def _substitute(pattern: _Compiled, text: str) -> str:
    validator = pattern.validator
    if validator is None:
        return pattern.regex.sub(_replacer(pattern.replacement, pattern.keeps_prefix), text)

    def replace(match: re.Match[str]) -> str:
        prefix = (match.group(1) or "") if pattern.keeps_prefix else ""
        secret = match.group(0)[len(prefix) :]
        return prefix + pattern.replacement if validator(secret) else match.group(0)

    return pattern.regex.sub(replace, text)


DEFAULT_SCRUBBER = Scrubber()


def scrubber_for(config: Config) -> Scrubber:
    """The scrubber ``config``'s ``[scrub]`` table asks for (the shared default when empty)."""
    scrub = config.scrub
    if not (scrub.patterns or scrub.disable or scrub.keep):
        return DEFAULT_SCRUBBER
    return Scrubber.from_config(scrub, timeout=config.regex_timeout)
