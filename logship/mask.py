"""Message templates: the variable parts of a message replaced by named masks.

``Order 8812 for bob@example.com failed after 3.5s`` and ``Order 91 for
amy@example.org failed after 12s`` share the template
``Order <NUM> for <EMAIL> failed after <DURATION>``, so they group together.

As in Drain3, masking is an ordered list of named instructions compiled once;
the order matters (a timestamp is masked before its digits could be taken for
numbers, an email before its domain could look like a host).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from logship.scrub import DEFAULT_PATTERNS as _SCRUB_PATTERNS


@dataclass(frozen=True, slots=True)
class MaskInstruction:
    """Replace every match of ``pattern`` with ``<name>``."""

    name: str
    pattern: str

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


# The scrubber's secret patterns (logship.scrub) come first: a template is sent to
# Sentry as part of the fingerprint, so a password or a token must be masked in
# it, and masked here it never splits a group either. Emails and card numbers
# have masks of their own below (EMAIL, NUM); the Luhn check needs no template.
SECRET_MASKS: tuple[MaskInstruction, ...] = tuple(
    MaskInstruction("SECRET", pattern.pattern)
    for pattern in _SCRUB_PATTERNS
    if pattern.name not in ("email", "creditcard")
)

# Each group below is kept by ``_substitute`` (a prefix such as "user=" that is
# not itself variable); everything else in the match becomes the mask.
DEFAULT_MASKS: tuple[MaskInstruction, ...] = (
    *SECRET_MASKS,
    # ISO 8601 and the common log layouts: 2024-05-01T12:00:00.123Z, 2024-05-01 12:00:00,123
    MaskInstruction(
        "TIMESTAMP",
        r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\b",
    ),
    MaskInstruction("DATE", r"\b\d{4}-\d{2}-\d{2}\b"),
    MaskInstruction("TIME", r"\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b"),
    MaskInstruction("EMAIL", r"\b[\w.%+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    MaskInstruction(
        "UUID", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
    ),
    # URLs keep scheme, host and the words of the path; ids in the path and the
    # query string are masked by the instructions that follow.
    MaskInstruction("IP", r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b"),
    MaskInstruction("IP", r"\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b"),
    # Hex ids and hashes: at least 8 hex digits mixing digits and letters, so a
    # word such as "deadbeef" survives and a long plain number stays a <NUM>.
    MaskInstruction(
        "HEX",
        r"\b0x[0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b",
    ),
    # Quoted values are data, never part of the message's shape.
    MaskInstruction("QUOTED", r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\"|`[^`\n]{0,200}`"),
    # key=value and key: value pairs whose key names an identity or a quantity.
    MaskInstruction(
        "VALUE",
        r"(?i)(\b(?:user(?:name)?|customer|member|account|login|email|session|token|"
        r"id|[a-z]+_?id|order|sku|amount|price|total|count|ip|host)\s*[=:]\s*)[^\s,;)\]}]+",
    ),
    # "user alice", "for customer bob": a name following a word that announces one.
    MaskInstruction(
        "NAME",
        r"(?i)(\b(?:user(?:name)?|customer|member|login|account)\s+)"
        r"(?!(?:not|is|was|has|had|with|for|from|to|in|the|a|an)\b)[A-Za-z][\w.@-]*",
    ),
    MaskInstruction("DURATION", r"\b\d+(?:\.\d+)?\s?(?:ms|us|µs|ns|s|sec|seconds|min|minutes|h)\b"),
    MaskInstruction("NUM", r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?!\w)"),
    # Digits glued to letters (order42, v1x9): ids the rules above could not separate.
    MaskInstruction("ID", r"\b(?=\w*\d)(?=\w*[A-Za-z])[\w-]{6,}\b"),
)

_MASK_TOKEN = re.compile(r"<[A-Z]+>")
_MAX_TEMPLATE_INPUT = 2000  # a template comes from the first part of a message


@dataclass(frozen=True, slots=True)
class _Compiled:
    name: str
    regex: re.Pattern[str]
    keeps_prefix: bool


@lru_cache(maxsize=8)
def _compile(masks: tuple[MaskInstruction, ...]) -> tuple[_Compiled, ...]:
    return tuple(
        _Compiled(mask.name, regex, regex.groups >= 1)
        for mask in masks
        for regex in (mask.compiled(),)
    )


def template(message: str, masks: tuple[MaskInstruction, ...] = DEFAULT_MASKS) -> str:
    """Return ``message`` with its variable parts masked.

    Only the first line is used (the rest of a multi-line message is usually a
    dump of data), whitespace is collapsed, and the result is capped so that a
    huge message cannot make a huge fingerprint.
    """
    first_line = message.strip().split("\n", 1)[0][:_MAX_TEMPLATE_INPUT]
    text = first_line
    for mask in _compile(masks):
        text = _substitute(mask, text)
    return " ".join(text.split())


def _substitute(mask: _Compiled, text: str) -> str:
    token = f"<{mask.name}>"
    if mask.keeps_prefix:
        return mask.regex.sub(lambda m: m.group(1) + token, text)
    return mask.regex.sub(token, text)


def is_masked(text: str) -> bool:
    """Whether ``text`` contains at least one mask token."""
    return _MASK_TOKEN.search(text) is not None
