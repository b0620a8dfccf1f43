"""An incremental reader for big JSON documents whose bulk is one array.

``aws logs filter-log-events --output json`` writes one object whose
``events`` array can hold millions of entries. ``json.load`` would hold it all;
this reader walks the top-level objects with ``json.JSONDecoder.raw_decode``
over a sliding buffer of chunks and hands out the elements of the arrays named
in ``streamed`` one at a time, so memory is bounded by the largest element.
Other members are decoded whole. Several top-level objects in a row
(concatenated pages, JSON lines) are read one after the other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from logship.exceptions import JsonStreamError

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True, slots=True)
class ObjectStart:
    """A top-level object begins on ``line``."""

    line: int


@dataclass(frozen=True, slots=True)
class Member:
    """A member of the top-level object that is not streamed."""

    key: str
    value: Any


@dataclass(frozen=True, slots=True)
class Element:
    """The ``index``-th element of the streamed array member ``key``."""

    key: str
    index: int
    value: Any


@dataclass(frozen=True, slots=True)
class ObjectEnd:
    """The top-level object is complete."""


Part = ObjectStart | Member | Element | ObjectEnd


class _Buffer:
    """A sliding window over text chunks: consumed text is dropped as reading moves on."""

    def __init__(self, chunks: Iterator[str], limit: int) -> None:
        self._chunks = chunks
        self._limit = limit
        self._lines_dropped = 0
        self.text = ""
        self.pos = 0
        self.eof = False

    def fill(self, want: int = 0) -> bool:
        """Append chunks until ``want`` unread characters are buffered; False at the end."""
        if self.pos:
            self._lines_dropped += self.text.count("\n", 0, self.pos)
            self.text = self.text[self.pos :]
            self.pos = 0
        pieces = [self.text]
        size = len(self.text)
        read_any = False
        while not self.eof and (not read_any or size < want):
            chunk = next(self._chunks, None)
            if chunk is None:
                self.eof = True
                break
            pieces.append(chunk)
            size += len(chunk)
            read_any = True
        self.text = "".join(pieces)
        return read_any

    def line(self, pos: int | None = None) -> int:
        """The 1-based line number of ``pos`` (default: the read position)."""
        at = self.pos if pos is None else pos
        return self._lines_dropped + self.text.count("\n", 0, at) + 1

    def peek(self) -> str:
        """Skip whitespace; the next character, or "" at the end of input."""
        while True:
            match = _WHITESPACE.match(self.text, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return ""

    def expect(self, allowed: str, what: str) -> str:
        """Consume the next character, which must be one of ``allowed``."""
        char = self.peek()
        if not char or char not in allowed:
            found = repr(char) if char else "the end of the input"
            raise JsonStreamError(self.line(), f"expected {what}, found {found}")
        self.pos += 1
        return char

    def value(self) -> Any:
        """Decode the JSON value at the read position, reading more input as needed."""
        self.peek()  # raw_decode does not skip leading whitespace
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                # An error may only mean the value runs past the buffer: read
                # more (doubling, so a long bad value costs linear time) until
                # the input ends or the value is over the limit.
                if self.eof:
                    raise JsonStreamError(self.line(exc.pos), f"invalid JSON: {exc.msg}") from exc
                pending = len(self.text) - self.pos
                if pending > self._limit:
                    raise JsonStreamError(
                        self.line(), f"a JSON value is larger than the limit of {self._limit}"
                    ) from exc
                self.fill(want=2 * pending)
                continue
            # A number can end exactly at the buffer's end and go on in the next chunk.
            if end < len(self.text) or self.eof:
                self.pos = end
                return value
            self.fill(want=len(self.text) - self.pos + 1)


def read_objects(chunks: Iterator[str], *, streamed: frozenset[str], limit: int) -> Iterator[Part]:
    """The parts of each top-level JSON object in ``chunks``, in order.

    Raises :class:`JsonStreamError` (with the line) at the first syntax error:
    after one, no position in the stream can be trusted to resynchronize.
    """
    buffer = _Buffer(chunks, limit)
    while buffer.peek():
        yield ObjectStart(buffer.line())
        buffer.expect("{", "a JSON object")
        if buffer.peek() == "}":
            buffer.pos += 1
            yield ObjectEnd()
            continue
        while True:
            if buffer.peek() != '"':
                buffer.expect('"', "a member name")
            key = buffer.value()
            buffer.expect(":", "':'")
            if key in streamed and buffer.peek() == "[":
                buffer.pos += 1
                yield from _elements(buffer, key)
            else:
                yield Member(key, buffer.value())
            if buffer.expect(",}", "',' or '}'") == "}":
                break
        yield ObjectEnd()


def _elements(buffer: _Buffer, key: str) -> Iterator[Element | Member]:
    if buffer.peek() == "]":
        buffer.pos += 1
        yield Member(key, [])  # so the consumer still sees the key
        return
    index = 0
    while True:
        yield Element(key, index, buffer.value())
        index += 1
        if buffer.expect(",]", "',' or ']'") == "]":
            return


def parts_of(document: dict[str, Any], *, streamed: frozenset[str]) -> Iterator[Part]:
    """The parts :func:`read_objects` would give for an already decoded object."""
    yield ObjectStart(1)
    for key, value in document.items():
        if key in streamed and isinstance(value, list) and value:
            for index, element in enumerate(value):
                yield Element(key, index, element)
        else:
            yield Member(key, value)
    yield ObjectEnd()
