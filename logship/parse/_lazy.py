"""Regular expressions compiled on first use, for a lean cold start.

The parse stage holds more than seventy patterns, some of them long
alternations; compiling them at import was most of what importing it cost a
Lambda cold start, for layouts and languages a service may never log. A
:class:`LazyPattern` is declared like ``re.compile(...)`` and used like the
pattern it stands for; it compiles on the first call of one of its methods.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["LazyPattern"]

# The methods of re.Pattern the parsers call, bound on first use (see LazyPattern).
_METHODS = ("match", "fullmatch", "search", "sub", "findall", "finditer")


class LazyPattern:
    """``re.compile(pattern, flags)``, compiled on the first call of a method.

    The first call binds the compiled pattern's own methods on the instance,
    where they shadow the methods below: every later call goes straight to the
    compiled pattern, at the cost of a plain ``re.Pattern``'s call.
    """

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (``re`` caches it, so compiling twice is cheap)."""
        compiled = re.compile(self.pattern, self.flags)
        vars(self).update({name: getattr(compiled, name) for name in _METHODS})
        return compiled

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self.flags!r})"

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """As :meth:`re.Pattern.match`."""
        return self.compiled().match(string, pos, endpos)

    def fullmatch(
        self, string: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> re.Match[str] | None:
        """As :meth:`re.Pattern.fullmatch`."""
        return self.compiled().fullmatch(string, pos, endpos)

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """As :meth:`re.Pattern.search`."""
        return self.compiled().search(string, pos, endpos)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        """As :meth:`re.Pattern.sub`."""
        return self.compiled().sub(repl, string, count)

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        """As :meth:`re.Pattern.findall`."""
        return self.compiled().findall(string, pos, endpos)

    def finditer(
        self, string: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> Iterator[re.Match[str]]:
        """As :meth:`re.Pattern.finditer`."""
        return self.compiled().finditer(string, pos, endpos)
