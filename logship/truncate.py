"""Size limits for Sentry events: cut strings, trim sequences, measure events.

Sentry rejects an event above 1 MB of JSON or 200 KB compressed; a log line can
hold a 10 MB message or a 100,000-frame recursion. logship truncates instead of
dropping: the event builder (:mod:`logship.event`) builds an event under a
:class:`Limits` level, measures it with :func:`event_size` and, when it is still
too big, builds it again under the next, tighter level of :data:`LEVELS`.

Everything cut is marked: strings end in "…", trimmed stacks carry
``frames_omitted``, and the event gets ``extra.logship_truncated``.
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

# Sentry's documented limits for one event (an envelope item).
MAX_EVENT_BYTES = 1_000_000
MAX_COMPRESSED_BYTES = 200_000
# The sender adds the ``sdk`` block and envelope headers, and may compress less
# tightly than we measure: stay 10% under the limits.
EVENT_BYTES_BUDGET = MAX_EVENT_BYTES * 9 // 10
COMPRESSED_BYTES_BUDGET = MAX_COMPRESSED_BYTES * 9 // 10
# Sentry's limit for a tag value (in characters).
MAX_TAG_KEY_CHARS = 32  # Sentry's documented tag key limit
MAX_TAG_VALUE_CHARS = 200

ELLIPSIS = "\u2026"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of an error one event keeps. :data:`LEVELS` goes from loose to tight."""

    frames_head: int  # the oldest calls kept per stack (entry points)
    frames_tail: int  # the newest calls kept per stack (where it was raised)
    exceptions_head: int  # outermost exceptions of a chain kept
    exceptions_tail: int  # innermost exceptions (the root cause side) kept
    related: int  # suppressed exceptions / group members kept
    text: int  # messages and exception values, in characters
    field: int  # frame fields, ids and other short strings, in characters
    raw_log: int  # the raw log text in ``extra.raw_log``; also capped by the settings
    event_ids: int  # CloudWatch event ids listed in the ``cloudwatch`` context

    @property
    def frames(self) -> int:
        return self.frames_head + self.frames_tail


LEVELS: tuple[Limits, ...] = (
    # Relay itself trims stacks past 250 frames and messages past 8192 characters:
    # the first level never leaves it anything to cut.
    Limits(50, 200, 25, 25, 50, 8192, 1024, 8192, 50),
    Limits(20, 80, 10, 10, 20, 4096, 512, 4096, 20),
    Limits(10, 20, 5, 5, 8, 1024, 256, 1024, 10),
    Limits(3, 7, 2, 2, 3, 256, 128, 256, 5),
    # The last resort is small whatever the input: a few hundred characters per
    # exception, even when every character is escaped as twelve bytes of JSON.
    Limits(1, 2, 1, 1, 1, 128, 48, 128, 1),
)


def clean(text: str) -> str:
    """``text`` without lone surrogates, which make the whole event invalid JSON for Relay.

    ``json.loads`` of a CloudWatch payload can produce them (``"\\ud800"``);
    sentry-sdk would send them escaped and Relay would reject the event.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def cut(text: str, limit: int) -> str:
    """``text`` cleaned and cut to at most ``limit`` characters, ending in "…" when cut."""
    if len(text) <= limit:
        return clean(text)
    if limit <= 0:
        return ""
    return clean(text[: limit - 1]) + ELLIPSIS


def cut_left(text: str, limit: int) -> str:
    """Like :func:`cut` but keeps the end: for dotted names whose last part matters."""
    if len(text) <= limit:
        return clean(text)
    if limit <= 0:
        return ""
    return ELLIPSIS + clean(text[len(text) - limit + 1 :])


def shorten_key(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, still distinct from every other long text.

    For grouping keys: a cut key would merge two errors that differ only at the
    end, so the cut part is replaced by a hash of the whole text.
    """
    if len(text) <= limit:
        return clean(text)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    keep = max(limit - len(digest) - 1, 0)
    return clean(text[:keep]) + ELLIPSIS + digest


@dataclass(frozen=True, slots=True)
class Trimmed(Generic[T]):
    """The items kept of a sequence, and the original indices ``[start, end)`` left out."""

    items: tuple[T, ...]
    omitted: tuple[int, int] | None = None  # None when nothing was left out

    @property
    def omitted_count(self) -> int:
        return self.omitted[1] - self.omitted[0] if self.omitted else 0


def trim_middle(items: Sequence[T], head: int, tail: int) -> Trimmed[T]:
    """The first ``head`` and last ``tail`` of ``items``; the middle is left out."""
    if len(items) <= head + tail:
        return Trimmed(tuple(items))
    end = len(items) - tail
    return Trimmed((*items[:head], *items[end:]), (head, end))


def event_size(event: object) -> tuple[int, int]:
    """The size of ``event`` as sentry-sdk sends it: (JSON bytes, compressed bytes).

    sentry-sdk serializes with ``ensure_ascii``, so a non-ASCII character costs
    six or twelve bytes; that is what Sentry's limit counts.
    """
    data = json.dumps(event, allow_nan=False, separators=(",", ":")).encode("ascii")
    return len(data), len(zlib.compress(data, 6))


def within_budget(event: object) -> bool:
    """Whether ``event`` fits Sentry's limits with the sender's margin."""
    data = json.dumps(event, allow_nan=False, separators=(",", ":")).encode("ascii")
    if len(data) > EVENT_BYTES_BUDGET:
        return False  # no need to compress what is already too big
    if len(data) <= SURELY_FITS_BYTES:
        return True  # see SURELY_FITS_BYTES: compressing cannot make it too big
    return len(zlib.compress(data, 6)) <= COMPRESSED_BYTES_BUDGET


# JSON at most this long fits both budgets whatever it holds, so that it need not
# be compressed (nor, when a bound is known, serialized) to be measured. Deflate
# never makes data much bigger: zlib falls back to stored blocks (5 bytes per
# 64 KB) and adds a 6-byte wrapper; allowing 1/8 more plus 64 bytes also covers
# an implementation that only ever uses the fixed Huffman code (9 bits a byte at
# worst). zlib's own compressBound() is n + n/4096 + n/16384 + 13.
SURELY_FITS_BYTES = min(EVENT_BYTES_BUDGET, (COMPRESSED_BYTES_BUDGET - 64) * 8 // 9)


def surely_fits(json_bytes_bound: int) -> bool:
    """Whether an event whose JSON is known to be at most ``json_bytes_bound`` bytes
    fits Sentry's limits, with no need to serialize or compress it."""
    return json_bytes_bound <= SURELY_FITS_BYTES


def json_bound(text: str) -> int:
    """At least the bytes of ``text`` as a JSON string, as sentry-sdk writes it (``ensure_ascii``).

    Six bytes a character at most (``\\u001f``), twelve outside the BMP (a
    surrogate pair), plus the quotes; ``str.isascii`` costs nothing.
    """
    return (6 if text.isascii() else 12) * len(text) + 2


def scalar_json_bound(value: object) -> int | None:
    """At least the bytes of the JSON scalar ``value``; None for anything else.

    None too for what ``json.dumps(allow_nan=False)`` would refuse (NaN), so
    that such a value is still measured, and refused, the slow way.
    """
    if isinstance(value, str):
        return json_bound(value)
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return len(int.__repr__(value))
    if isinstance(value, float) and math.isfinite(value):
        return 24  # the longest repr() of a float: -2.2250738585072014e-308
    return None
