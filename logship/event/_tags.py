"""Tag keys and values as Sentry accepts them (also used by :mod:`logship.integrations.sentry`)."""

from __future__ import annotations

import re

from logship._cache import BoundedCache
from logship.truncate import MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS, cut

__all__ = ["MAX_TAG_KEY_CHARS", "one_line", "tag_key", "tag_value"]

_TAG_KEY_INVALID = re.compile(r"[^A-Za-z0-9_.:-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

# Tag keys and values come back event after event (a service's tags are the same).
_MEMO_CHARS = 256  # results for longer inputs are not remembered
_TAG_KEYS: BoundedCache[str, str] = BoundedCache(4096)
_TAG_VALUES: BoundedCache[str, str] = BoundedCache(4096)


def tag_key(key: str) -> str:
    """``key`` as a valid Sentry tag key: letters, digits, ``_.:-``, 32 characters at most."""
    known = _TAG_KEYS.get(key)
    if known is None:
        known = _TAG_KEY_INVALID.sub("_", key)[:MAX_TAG_KEY_CHARS]
        if len(key) <= _MEMO_CHARS:
            _TAG_KEYS.put(key, known)
    return known


def tag_value(value: str) -> str:
    """``value`` as a valid Sentry tag value: one line, 200 characters at most."""
    known = _TAG_VALUES.get(value)
    if known is None:
        known = cut(one_line(value).strip(), MAX_TAG_VALUE_CHARS)
        if len(value) <= _MEMO_CHARS:
            _TAG_VALUES.put(value, known)
    return known


def one_line(text: str) -> str:
    """``text`` with each run of control characters as one space."""
    # A printable string holds no control character: no regex to run.
    return text if text.isprintable() else _CONTROL.sub(" ", text)
