"""Placing strings in one event: each cut to the limits of one :class:`Limits` level,
scrubbed for its field, and counted in a bound of the event's JSON size.

The bound lets most events be known to fit Sentry's limits without serializing
them (about 3% of stage (2) of ``python -m bench``; see :mod:`._builder`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from logship.scrub import Scrubber
from logship.truncate import Limits, cut, cut_left, json_bound, scalar_json_bound

# Characters past a cut that are scrubbed before it: a secret straddling the cut
# is seen whole (a PEM key is 1.7 to 3.3 KB) and no prefix of it survives the cut.
SCRUB_MARGIN = 4096

# JSON bytes of an event's structure beside its strings (keys, punctuation,
# numbers, booleans), at least what the largest instance of each part takes. The
# builder adds them to the bound of each string it places; the tests hold the
# resulting bound to the real size.
EVENT_BYTES = 2048  # top-level fields, logentry, contexts, request and extra keys
EXCEPTION_BYTES = 512  # an exception's keys and mechanism, beside its frames
FRAME_BYTES = 128  # a frame's keys, line number and in_app
ITEM_BYTES = 64  # a fingerprint part, an event id, or a tag (its key is 32 characters at most)


class Placer:
    """Places the strings of one event under one :class:`Limits` level.

    ``size`` bounds the bytes of the event's JSON, unless ``sized`` is False (a
    value only serializing can measure); ``truncated`` says whether anything was
    cut. Decisions about a string (is it empty, does it hold a "/") are made
    before it is placed, so before scrubbing.
    """

    __slots__ = ("limits", "scrubber", "size", "sized", "truncated")

    def __init__(self, limits: Limits, scrubber: Scrubber) -> None:
        self.limits = limits
        self.scrubber = scrubber
        self.size = EVENT_BYTES
        self.sized = True
        self.truncated = False

    def put(self, text: str, scrub: Callable[[str], str]) -> str:
        """``text`` as it goes into the event, scrubbed for its field, counted in ``size``."""
        text = scrub(text)
        # json_bound(text), inline: this runs for every string of the event.
        self.size += (6 if text.isascii() else 12) * len(text) + 2
        return text

    def put_cut(self, text: str, limit: int, scrub: Callable[[str], str]) -> str:
        """``put(cut(text, limit))``, without the calls for a short ASCII string."""
        if len(text) > limit or not text.isascii():
            text = self.cut(text, limit)
        text = scrub(text)
        self.size += (6 if text.isascii() else 12) * len(text) + 2
        return text

    def text(self, text: str) -> str:
        """``text`` cut to the level's limit for messages."""
        return self.cut(text, self.limits.text)

    def field(self, text: str) -> str:
        """``text`` cut to the level's limit for short fields."""
        return self.cut(text, self.limits.field)

    def field_left(self, text: str) -> str:
        """``text`` cut to the limit for short fields, keeping its end (a module path)."""
        if len(text) > self.limits.field:
            self.truncated = True
            text = self.scrubber.scrub_text(text[-(self.limits.field + SCRUB_MARGIN) :])
        return cut_left(text, self.limits.field)

    def cut(self, text: str, limit: int) -> str:
        """``text`` cut to ``limit`` characters, noted in ``truncated`` if it was."""
        if len(text) > limit:
            self.truncated = True
            # Scrubbed before the cut, or a cut secret could leave a prefix the
            # scrubber no longer recognizes (half a card number).
            text = self.scrubber.scrub_text(text[: limit + SCRUB_MARGIN])
        return cut(text, limit)

    def scrubbed_at(self, value: Any, path: tuple[str, ...]) -> Any:
        """``value`` scrubbed by the scrubber's walk as it would be at ``path``, and counted."""
        value = self.scrubber.scrub_at(value, path)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            bound = scalar_json_bound(item)
            if bound is None or not isinstance(key, str | int):
                self.sized = False  # only serializing can tell
                break
            self.size += bound + json_bound(str(key)) + 2
        return value
