"""Colors for the terminal: only on a TTY, never when ``NO_COLOR`` is set.

See https://no-color.org: any non-empty ``NO_COLOR`` turns colors off;
``TERM=dumb`` terminals get none either.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


def use_color(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``stream`` should get ANSI colors."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Style:
    """Wraps text in ANSI codes when enabled, returns it unchanged otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream: TextIO) -> Style:
        """A style that colors only if ``stream`` is a terminal that wants colors."""
        return cls(use_color(stream))

    def __call__(self, text: str, *names: str) -> str:
        """``text`` in the named styles (``"bold"``, ``"red"``...)."""
        if not self.enabled or not names:
            return text
        codes = ";".join(_CODES[name] for name in names)
        return f"\x1b[{codes}m{text}\x1b[0m"
