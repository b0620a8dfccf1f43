"""Message templates: the variable parts of a message replaced by named masks.

``Order 8812 for bob@example.com failed after 3.5s`` and ``Order 91 for
amy@example.org failed after 12s`` share the template
``Order <NUM> for <EMAIL> failed after <DURATION>``, so they group together.

As in Drain3, masking is an ordered list of named instructions compiled once;
the order matters (a timestamp is masked before its digits could be taken for
numbers, an email before its domain could look like a host).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from logship._cache import BoundedCache
from logship.secret_patterns import DEFAULT_PATTERNS as _SECRET_PATTERNS


@dataclass(frozen=True, slots=True)
class MaskInstruction:
    """Replace every match of ``pattern`` with ``<name>``.

    ``trigger``, when given, is a cheap regex that finds something in the
    lower-cased text wherever ``pattern`` matches, as the scrubber's patterns
    have: an ASCII text in which it finds nothing is not searched for the mask.
    """

    name: str
    pattern: str
    trigger: str = ""

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


# The secret patterns (logship.secret_patterns, which the scrubber runs too) come
# first: a template is sent to Sentry as part of the fingerprint, so a password or
# a token must be masked in it, and masked here it never splits a group either.
# Emails and card numbers have masks of their own below (EMAIL, NUM); the Luhn
# check needs no template.
SECRET_MASKS: tuple[MaskInstruction, ...] = tuple(
    MaskInstruction("SECRET", pattern.pattern, pattern.trigger)
    for pattern in _SECRET_PATTERNS
    if pattern.name not in ("email", "creditcard")
)

# Each group below is kept by ``_substitute`` (a prefix such as "user=" that is
# not itself variable); everything else in the match becomes the mask. Each
# trigger is what every match holds, lower-cased: a digit, an "@", a quote...
_DIGIT = r"\d"
DEFAULT_MASKS: tuple[MaskInstruction, ...] = (
    *SECRET_MASKS,
    # ISO 8601 and the common log layouts: 2024-05-01T12:00:00.123Z, 2024-05-01 12:00:00,123
    MaskInstruction(
        "TIMESTAMP",
        r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\b",
        _DIGIT,
    ),
    MaskInstruction("DATE", r"\b\d{4}-\d{2}-\d{2}\b", _DIGIT),
    MaskInstruction("TIME", r"\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b", _DIGIT),
    MaskInstruction("EMAIL", r"\b[\w.%+-]+@[\w-]+(?:\.[\w-]+)+\b", "@"),
    MaskInstruction(
        "UUID",
        r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
        "[0-9a-f]{8}-",
    ),
    # URLs keep scheme, host and the words of the path; ids in the path and the
    # query string are masked by the instructions that follow.
    MaskInstruction("IP", r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b", _DIGIT),
    MaskInstruction("IP", r"\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b", ":"),
    # Hex ids and hashes: at least 8 hex digits mixing digits and letters, so a
    # word such as "deadbeef" survives and a short plain number stays a <NUM>;
    # 16 or more whatever they hold (a trace or span id that happens to be all
    # digits, or all letters, is still the same field: one mask for all of them).
    MaskInstruction(
        "HEX",
        r"\b0x[0-9a-fA-F]+\b|\b[0-9a-fA-F]{16,}\b"
        r"|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b",
        r"\d|[a-f]{16}",
    ),
    # Quoted values are data, never part of the message's shape.
    MaskInstruction("QUOTED", r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\"|`[^`\n]{0,200}`", "['\"`]"),
    # key=value and key: value pairs whose key names an identity or a quantity.
    MaskInstruction(
        "VALUE",
        r"(?i)(\b(?:user(?:name)?|customer|member|account|login|email|session|token|"
        r"id|[a-z]+_?id|order|sku|amount|price|total|count|ip|host)\s*[=:]\s*)[^\s,;)\]}]+",
        "[=:]",
    ),
    # "user alice", "for customer bob": a name following a word that announces one.
    MaskInstruction(
        "NAME",
        r"(?i)(\b(?:user(?:name)?|customer|member|login|account)\s+)"
        # A word, not a name: "user not found". Whole words only: "a.smith" is a name.
        r"(?!(?:not|is|was|has|had|with|for|from|to|in|the|a|an)(?:\s|$))[A-Za-z][\w.@-]*",
        "user|customer|member|login|account",
    ),
    MaskInstruction(
        "DURATION", r"\b\d+(?:\.\d+)?\s?(?:ms|us|µs|ns|s|sec|seconds|min|minutes|h)\b", _DIGIT
    ),
    MaskInstruction("NUM", r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?!\w)", _DIGIT),
    # Digits glued to letters (order42, v1x9): ids the rules above could not separate.
    MaskInstruction("ID", r"\b(?=\w*\d)(?=\w*[A-Za-z])[\w-]{6,}\b", _DIGIT),
)

_MAX_TEMPLATE_INPUT = 2000  # a template comes from the first part of a message
# Templates kept per mask list: an error storm repeats a handful of messages.
# Skipping masks by their triggers and caching templates is the one path: on the
# benchmark corpus (python -m bench, 24 MB, 1,238 templates) it takes 6 ms where
# applying every mask to every message takes 55 ms, about 8% of stage (2)'s 0.6 s
# (the triggers 33 ms of it, the cache 16 ms). tests/test_mask.py holds it to the
# straightforward loop over every mask.
_CACHED_TEMPLATES = 1024

_Replacement = str | Callable[[re.Match[str]], str]


class _Step:
    """One compiled instruction: its regex, what replaces a match, and its trigger."""

    __slots__ = ("regex", "replacement", "trigger")

    def __init__(self, mask: MaskInstruction) -> None:
        self.regex = mask.compiled()
        token = f"<{mask.name}>"
        self.replacement: _Replacement = (
            (lambda match: match.group(1) + token) if self.regex.groups >= 1 else token
        )
        self.trigger = re.compile(mask.trigger) if mask.trigger else None


class _Masker:
    """The compiled instructions of one mask list, and its cache of templates."""

    def __init__(self, masks: tuple[MaskInstruction, ...]) -> None:
        self.steps = [_Step(mask) for mask in masks]
        # Consecutive steps of one name (the scrubber's secrets, the two forms of
        # IP) form a group, whose trigger is its steps' in one alternation (None
        # when a step has none): one search tells that no step of it can match.
        runs: list[list[_Step]] = []
        for position, step in enumerate(self.steps):
            if position and masks[position - 1].name == masks[position].name:
                runs[-1].append(step)
            else:
                runs.append([step])
        self.groups = [(_either(steps), steps) for steps in runs]
        self.cached = functools.lru_cache(maxsize=_CACHED_TEMPLATES)(self.masked)

    def masked(self, line: str) -> str:
        """Every step applied in order, without the searches a trigger proves useless.

        Triggers are searched in the lower-cased text as it is at that step, so
        whatever the earlier steps replaced, a step skipped could not have
        matched. Lower-casing is exact for ASCII only (``re.IGNORECASE`` also
        matches U+017F, the long s, for "s"): other text takes every step.
        """
        text = line
        is_ascii = text.isascii()
        lowered = ""  # text.lower() once needed; "" again whenever text changes
        for trigger, steps in self.groups:
            if is_ascii and trigger is not None:
                lowered = lowered or text.lower()
                if trigger.search(lowered) is None:
                    continue
            for step in steps:
                if is_ascii and step.trigger is not None and len(steps) > 1:
                    lowered = lowered or text.lower()
                    if step.trigger.search(lowered) is None:
                        continue
                replaced = step.regex.sub(step.replacement, text)
                if replaced is not text:  # sub returns its input when nothing matched
                    text, lowered = replaced, ""
                    is_ascii = text.isascii()
        return " ".join(text.split())


def _either(steps: list[_Step]) -> re.Pattern[str] | None:
    """One alternation of the steps' triggers, or None when a step has none."""
    triggers = [step.trigger.pattern for step in steps if step.trigger is not None]
    if len(triggers) < len(steps):
        return None
    return re.compile("|".join(f"(?:{trigger})" for trigger in triggers))


@functools.lru_cache(maxsize=8)
def _compile(masks: tuple[MaskInstruction, ...]) -> _Masker:
    return _Masker(masks)


# Mask lists by identity: hashing a list of two dozen instructions on every
# call cost more than most templates. The list is kept in the value, so its id
# cannot be taken by another object while it is here.
_BY_IDENTITY: BoundedCache[int, tuple[tuple[MaskInstruction, ...], _Masker]] = BoundedCache(8)


def _masker(masks: tuple[MaskInstruction, ...]) -> _Masker:
    known = _BY_IDENTITY.get(id(masks))
    if known is not None and known[0] is masks:
        return known[1]
    masker = _compile(masks)
    _BY_IDENTITY.put(id(masks), (masks, masker))
    return masker


def template(message: str, masks: tuple[MaskInstruction, ...] = DEFAULT_MASKS) -> str:
    """Return ``message`` with its variable parts masked.

    Only the first line is used (the rest of a multi-line message is usually a
    dump of data), whitespace is collapsed, and the result is capped so that a
    huge message cannot make a huge fingerprint.
    """
    first_line = message.strip().split("\n", 1)[0][:_MAX_TEMPLATE_INPUT]
    return _masker(masks).cached(first_line)


@functools.cache
def _mask_token() -> re.Pattern[str]:
    return re.compile(r"<[A-Z]+>")


def is_masked(text: str) -> bool:
    """Whether ``text`` contains at least one mask token."""
    return _mask_token().search(text) is not None
