"""An input's bytes: a file or stdin, inflated as it is read when it is gzip (found by its
magic bytes, multi-member files too), its first bytes peeked and put back in front, and
read in lines of bounded length.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from typing import IO, TYPE_CHECKING, Protocol

from logship.records import InputProblem

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


STDIN = "-"
_GZIP_MAGIC = b"\x1f\x8b"
_HEAD_BYTES = 64 * 1024
CHUNK = 64 * 1024


class _Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes | None: ...


class _Chained(io.RawIOBase):
    """``prefix`` then the rest of ``stream``: bytes already peeked go back in front.

    Counts the bytes handed out, so an error can say how far reading got.
    """

    def __init__(self, prefix: bytes, stream: _Reader) -> None:
        super().__init__()
        self._prefix = prefix
        self._stream = stream
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._prefix:
            data, self._prefix = self._prefix[: len(view)], self._prefix[len(view) :]
        else:
            # read1: hand on what one read of the stream gives, as a raw stream should.
            read1 = getattr(self._stream, "read1", None)
            data = (read1(len(view)) if read1 else self._stream.read(len(view))) or b""
        view[: len(data)] = data
        self.consumed += len(data)
        return len(data)


def _read_up_to(stream: _Reader, size: int) -> bytes:
    pieces: list[bytes] = []
    left = size
    while left > 0:
        piece = stream.read(left)
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
    return b"".join(pieces)


class Opened:
    """An input opened for reading: the inflated byte stream and its first bytes."""

    def __init__(self, raw: IO[bytes]) -> None:
        magic = raw.read(2)
        self.compressed = magic == _GZIP_MAGIC
        self.source = _Chained(magic, raw)
        self.head = b""
        self.at_end = True
        self.stream: IO[bytes] = io.BufferedReader(self.source)

    def peek(self) -> None:
        """Inflate (if gzip) and read the first bytes; gzip errors surface here or later."""
        inflated: _Reader = (
            gzip.GzipFile(fileobj=self.source, mode="rb") if self.compressed else self.source
        )
        self.head = _read_up_to(inflated, _HEAD_BYTES)
        self.at_end = len(self.head) < _HEAD_BYTES
        self.stream = io.BufferedReader(_Chained(self.head, inflated), buffer_size=CHUNK)

    def problem(self, name: str, exc: BaseException) -> InputProblem:
        """An InputProblem for a read or gzip error, with the byte position reached."""
        at = self.source.consumed
        if isinstance(exc, EOFError):
            reason = "truncated gzip: the file ends before the end of the compressed stream"
        elif isinstance(exc, zlib.error | gzip.BadGzipFile):
            reason = f"corrupt gzip data within the first {at} compressed bytes ({exc})"
        else:
            reason = f"read error ({exc})"
        return InputProblem(f"{name}: byte {at}", reason)


def open_raw(path: str | os.PathLike[str], stack: ExitStack) -> IO[bytes]:
    if os.fspath(path) == STDIN:
        return sys.stdin.buffer
    return stack.enter_context(open(path, "rb"))


def bounded_lines(stream: IO[bytes], limit: int) -> Iterator[tuple[int, bytes, int]]:
    """``(number, line without its line end, bytes cut)`` for each line.

    A line longer than ``limit`` is cut at a UTF-8 character boundary and the
    rest is skipped in bounded reads, never held.
    """
    readline = stream.readline
    number = 0
    while line := readline(limit):
        number += 1
        if line[-1:] == b"\n":
            yield number, line[:-2] if line[-2:] == b"\r\n" else line[:-1], 0
            continue
        cut = 0
        while more := readline(CHUNK):
            if more[-1:] == b"\n":
                cut += len(more) - (2 if more[-2:] == b"\r\n" else 1)
                break
            cut += len(more)
        if not cut:  # exactly `limit` bytes, then the end of the line or the input
            yield number, line, 0
            continue
        kept = utf8_prefix(line)
        yield number, kept, cut + len(line) - len(kept)


def utf8_prefix(data: bytes) -> bytes:
    """``data`` without a UTF-8 sequence cut in two at its end."""
    end = len(data)
    back = 0
    while back < 4 and end - back > 0 and data[end - back - 1] & 0xC0 == 0x80:
        back += 1
    if end - back > 0:
        lead = data[end - back - 1]
        needed = 2 if lead & 0xE0 == 0xC0 else 3 if lead & 0xF0 == 0xE0 else 4
        if lead & 0xC0 == 0xC0 and back + 1 < needed:
            return data[: end - back - 1]
    return data
