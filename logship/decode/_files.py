"""Files and stdin: the format is found by peeking, never from the name alone.

The input is opened as a byte stream; gzip is recognized by its magic bytes
and inflated as it is read (multi-member files too). The first 64 KiB of
the (inflated) stream decide the format:

- a JSON object spanning several lines: a JSON document, read incrementally
  (a ``filter-log-events`` dump, a saved Lambda/Kinesis/Firehose event or an
  inflated subscription payload; see :mod:`._documents`);
- a first line that is a whole JSON object: JSON lines. A line holding an AWS
  shape is decoded as such; any other object is a structured application log
  line (one line, one event);
- ``2024-05-01T12:00:00.000Z message`` lines: a CloudWatch export to S3;
- anything else: plain text, one line per event.

Nothing is held beyond one line (cut at ``max_line_bytes``) or one JSON
element (refused past ``max_inflated_bytes``).
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import re
import sys
import time
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Any, Protocol

from logship.records import InputProblem, LogEvent

from ._documents import STREAMED, Origin, decode_parts, dump_event
from ._jsonstream import JsonStreamError, parts_of, read_objects
from ._payload import DEFAULT_MAX_INFLATED, NOT_UTF8, Item

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

DEFAULT_MAX_LINE = 1024 * 1024
STDIN = "-"
STDIN_NAME = "stdin"
_GZIP_MAGIC = b"\x1f\x8b"
_HEAD_BYTES = 64 * 1024
_CHUNK = 64 * 1024
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)

# `aws logs create-export-task` writes "<ISO 8601 time> <message>" per event.
_EXPORT_LINE = re.compile(rb"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z) ")
# Fields structured loggers put the time in: structlog/pino/zap/logback/bunyan.
_TIME_FIELDS = ("timestamp", "@timestamp", "time", "ts")
_AWS_KEYS = re.compile(r'"(awslogs|Records|records|messageType|events)"\s*:')
_DOCUMENT_KINDS = {
    "awslogs": "lambda-event",
    "Records": "kinesis-event",
    "records": "firehose-event",
    "messageType": "subscription-payload",
    "events": "filter-log-events",
}


class Format(StrEnum):
    """How a file is read."""

    JSON_DOCUMENT = "json-document"
    AWS_JSON_LINES = "aws-json-lines"  # JSON lines of Lambda events or payloads
    JSON_LINES = "json-lines"  # structured application logs
    S3_EXPORT = "s3-export"
    TEXT = "text"


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


class _Opened:
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
        self.stream = io.BufferedReader(_Chained(self.head, inflated), buffer_size=_CHUNK)

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


def _open_raw(path: str | os.PathLike[str], stack: ExitStack) -> IO[bytes]:
    if os.fspath(path) == STDIN:
        return sys.stdin.buffer
    return stack.enter_context(open(path, "rb"))


def classify(head: bytes, *, at_end: bool) -> Format:
    """The format of an input from its first (inflated) bytes."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text:
        return Format.TEXT
    if text[0] == "{":
        first, newline, _ = text.partition("\n")
        if not newline and not at_end:
            # The first line is longer than the head: one big JSON value
            # (a compact dump) or JSON lines of long structured lines.
            return Format.JSON_DOCUMENT if _AWS_KEYS.search(text) else Format.JSON_LINES
        value = _json_object(first)
        if value is not None:
            return Format.AWS_JSON_LINES if _aws_kind(value) else Format.JSON_LINES
        # Not a whole object on the first line: an object spread over lines
        # (pretty-printed, as the AWS CLI and jq write it), unless it is just a
        # broken first line of JSON lines.
        if (
            first.strip() == "{"
            or _AWS_KEYS.search(first)
            or (at_end and _json_object(text) is not None)
        ):
            return Format.JSON_DOCUMENT
        return Format.JSON_LINES
    if _EXPORT_LINE.match(text.encode("utf-8")):
        return Format.S3_EXPORT
    return Format.TEXT


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:  # JSONDecodeError, or a number too long to convert
        return None
    return value if isinstance(value, dict) else None


def _aws_kind(value: dict[str, Any]) -> str:
    """Which AWS shape a decoded JSON object is, or "" for an application log line."""
    for key, kind in _DOCUMENT_KINDS.items():
        if key in value and (key not in STREAMED or isinstance(value[key], list)):
            return kind
    if "logStreamName" in value and "message" in value and "timestamp" in value:
        return "cloudwatch-event"  # one entry of a dump, as `jq -c '.events[]'` writes
    return ""


def detect_format(path: str | os.PathLike[str]) -> str:
    """Name the format :func:`from_path` would read ``path`` as.

    One of ``filter-log-events``, ``lambda-event``, ``kinesis-event``,
    ``firehose-event``, ``subscription-payload``, ``json-document`` (none of
    those keys seen in the first 64 KiB), ``aws-json-lines``, ``json-lines``,
    ``s3-export`` or ``text``; ``.gz`` is appended for a gzip file. For a JSON
    document the name comes from the first known key in the first 64 KiB.
    Reading stdin ("-") consumes what it peeks.
    """
    with ExitStack() as stack:
        opened = _Opened(_open_raw(path, stack))
        opened.peek()
        found = classify(opened.head, at_end=opened.at_end)
        name = str(found)
        if found is Format.JSON_DOCUMENT:
            match = _AWS_KEYS.search(opened.head.decode("utf-8", errors="replace"))
            name = _DOCUMENT_KINDS[match.group(1)] if match else name
        return name + (".gz" if opened.compressed else "")


class _Input:
    """One file being read: its names, limits and the lines that were not UTF-8."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        log_group: str | None,
        region: str,
        max_line_bytes: int,
        max_inflated_bytes: int,
        base_time: int,
    ) -> None:
        self.name = STDIN_NAME if os.fspath(path) == STDIN else os.fspath(path)
        pure = PurePath(self.name)
        file_name = pure.name[:-3] if pure.name.endswith(".gz") else pure.name
        self.stream_name = file_name
        self.log_group = log_group or PurePath(file_name).stem or file_name
        self.region = region
        self.max_line_bytes = max_line_bytes
        self.max_inflated_bytes = max_inflated_bytes
        self.base_time = base_time
        self.not_utf8 = 0
        self.first_not_utf8 = 0
        # An S3 export keeps each stream in <task id>/<stream>/000000.gz.
        if file_name.isdigit() and pure.parent.name:
            self.export_stream = pure.parent.name
            self.export_group = log_group or pure.parent.parent.name or self.log_group
        else:
            self.export_stream = self.stream_name
            self.export_group = self.log_group

    def origin(self, *, group_from_document: bool = True) -> Origin:
        return Origin(
            name=self.name,
            log_group=self.log_group,
            log_stream=self.stream_name,
            region=self.region,
            max_inflated_bytes=self.max_inflated_bytes,
            group_from_document=group_from_document,
        )

    def text(self, line: bytes, number: int, cut: int) -> str:
        """Decode one line; a cut line gets a marker saying so."""
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            text = line.decode("utf-8", errors="replace")
            self.note_not_utf8(number)
        if cut:
            text += f" [logship: line cut at {self.max_line_bytes} bytes, {cut} more dropped]"
        return text

    def note_not_utf8(self, number: int) -> None:
        self.not_utf8 += 1
        self.first_not_utf8 = self.first_not_utf8 or number

    def finish(self, unit: str = "line") -> Iterator[InputProblem]:
        """A closing note when some input was not UTF-8 (no event is lost: events_lost=0)."""
        if self.not_utf8:
            where = f"{unit} {self.first_not_utf8}"
            yield InputProblem(
                f"{self.name}: {where}",
                f"{NOT_UTF8} in {self.not_utf8} {unit}(s), the first at {where}",
                events_lost=0,
            )

    def event(
        self, number: int, message: str, timestamp: int, log_group: str = "", log_stream: str = ""
    ) -> LogEvent:
        """A LogEvent for line ``number``, with the id ``<name>:<line>`` (stable on replay)."""
        return LogEvent(
            log_group=log_group or self.log_group,
            log_stream=log_stream or self.stream_name,
            event_id=f"{self.name}:{number}",
            timestamp=timestamp,
            message=message,
            region=self.region,
            source=f"{self.name}: line {number}",
        )


def _lines(stream: IO[bytes], limit: int) -> Iterator[tuple[int, bytes, int]]:
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
        while more := readline(_CHUNK):
            if more[-1:] == b"\n":
                cut += len(more) - (2 if more[-2:] == b"\r\n" else 1)
                break
            cut += len(more)
        if not cut:  # exactly `limit` bytes, then the end of the line or the input
            yield number, line, 0
            continue
        kept = _utf8_prefix(line)
        yield number, kept, cut + len(line) - len(kept)


def _utf8_prefix(data: bytes) -> bytes:
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


def _text(stream: IO[bytes], source: _Input) -> Iterator[Item]:
    for number, line, cut in _lines(stream, source.max_line_bytes):
        if line:  # CloudWatch cannot hold an empty event, so neither do we
            yield source.event(number, source.text(line, number, cut), source.base_time)
    yield from source.finish()


def _s3_export(stream: IO[bytes], source: _Input) -> Iterator[Item]:
    timestamp = source.base_time
    for number, line, cut in _lines(stream, source.max_line_bytes):
        body = line
        match = _EXPORT_LINE.match(line)
        if match:
            timestamp = _iso_ms(match.group(1).decode("ascii")) or timestamp
            body = line[match.end() :]
        # A line without a time continues a message that held a newline.
        if body:
            message = source.text(body, number, cut)
            yield source.event(
                number, message, timestamp, source.export_group, source.export_stream
            )
    yield from source.finish()


def _iso_ms(text: str) -> int | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # structured loggers that omit it log UTC
    return (moment - _EPOCH) // _MILLISECOND


def _number_ms(number: float) -> int:
    # Loggers write seconds (structlog, zap), milliseconds (pino, bunyan) or
    # nanoseconds since the epoch; the magnitude tells them apart for any date
    # between 1973 and 5138.
    size = abs(number)
    if size >= 1e17:
        return int(number // 1_000_000)
    if size >= 1e14:
        return int(number // 1_000)
    if size >= 1e11:
        return int(number)
    return int(number * 1000)


def structured_time(value: dict[str, Any]) -> int | None:
    """The time of a structured log line in ms, from its usual time field, if any."""
    for key in _TIME_FIELDS:
        raw = value.get(key)
        if isinstance(raw, bool) or raw is None:
            continue
        if isinstance(raw, int | float):
            return _number_ms(raw)
        if isinstance(raw, str):
            try:
                return _number_ms(float(raw))
            except ValueError:
                pass
            parsed = _iso_ms(raw)
            if parsed is not None:
                return parsed
    return None


def _json_lines(stream: IO[bytes], source: _Input, *, aws: bool) -> Iterator[Item]:
    # Lines of Lambda events may be as long as a payload; application log
    # lines are cut at the line limit.
    limit = max(source.max_line_bytes, source.max_inflated_bytes) if aws else source.max_line_bytes
    last_time = source.base_time
    origin = source.origin()
    for number, line, cut in _lines(stream, limit):
        if not line.strip():
            continue
        where = f"{source.name}: line {number}"
        if aws and cut:
            yield InputProblem(where, f"line is longer than the limit of {limit} bytes; skipped")
            continue
        text = source.text(line, number, cut)
        value = None if cut else _json_object(text)
        kind = _aws_kind(value) if value is not None else ""
        if value is not None and kind == "cloudwatch-event":
            yield dump_event(
                value,
                source=where,
                log_group=source.log_group,
                fallback_id=f"{source.name}:{number}",
                origin=origin,
            )
        elif value is not None and kind:
            parts = parts_of(value, streamed=STREAMED)
            yield from decode_parts(parts, where=where, origin=origin)
        elif value is None and aws and text.lstrip().startswith("{"):
            yield InputProblem(where, "invalid JSON; the line is skipped")
        else:
            # An application log line (or a stray text line, say a Go panic
            # between JSON lines): one event, the line as written.
            if len(line) > source.max_line_bytes:  # read under the longer AWS limit
                kept = _utf8_prefix(line[: source.max_line_bytes])
                text = source.text(kept, number, len(line) - len(kept))
            found = structured_time(value) if value is not None else None
            last_time = found if found is not None else last_time
            yield source.event(number, text, last_time)
    yield from source.finish()


def _text_chunks(stream: IO[bytes], source: _Input) -> Iterator[str]:
    """Text of ``stream`` in chunks; bytes that are not UTF-8 are replaced (and noted)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lenient = False
    while chunk := stream.read(_CHUNK):
        if lenient:
            yield decoder.decode(chunk)
            continue
        state = decoder.getstate()
        try:
            yield decoder.decode(chunk)
        except UnicodeDecodeError:
            lenient = True
            source.note_not_utf8(1)
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            decoder.setstate(state)
            yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


def _json_document(stream: IO[bytes], source: _Input) -> Iterator[Item]:
    parts = read_objects(
        _text_chunks(stream, source), streamed=STREAMED, limit=source.max_inflated_bytes
    )
    try:
        yield from decode_parts(parts, where=source.name, origin=source.origin())
    except JsonStreamError as exc:
        yield InputProblem(f"{source.name}: line {exc.line}", f"{exc.reason}; reading stopped")
    if source.not_utf8:
        yield InputProblem(source.name, f"{NOT_UTF8} in the document", events_lost=0)


def _base_time(path: str | os.PathLike[str]) -> int:
    # Plain text carries no time: every line gets the file's modification time
    # (stable across replays), stdin the time reading began.
    if os.fspath(path) == STDIN:
        return int(time.time() * 1000)
    try:
        return int(os.stat(path).st_mtime * 1000)
    except OSError:
        return int(time.time() * 1000)


def from_path(
    path: str | os.PathLike[str],
    *,
    log_group: str | None = None,
    region: str = "",
    max_line_bytes: int = DEFAULT_MAX_LINE,
    max_inflated_bytes: int = DEFAULT_MAX_INFLATED,
) -> Iterator[Item]:
    """Decode a file, ``.gz`` or not, or stdin for ``"-"``; the format is detected.

    ``log_group`` names the group for inputs that do not (text, JSON lines,
    dumps without a top-level ``logGroupName``); without it the file's stem is
    used. Events that come without ids get ``<file>:<line>`` ids, so a replay
    gives the same ids. Problems (unreadable file, corrupt gzip, bad JSON) are
    yielded as :class:`InputProblem` naming the file and the position.
    """
    source = _Input(
        path,
        log_group=log_group,
        region=region,
        max_line_bytes=max_line_bytes,
        max_inflated_bytes=max_inflated_bytes,
        base_time=_base_time(path),
    )
    with ExitStack() as stack:
        try:
            raw = _open_raw(path, stack)
        except OSError as exc:
            yield InputProblem(source.name, f"cannot open: {exc.strerror or exc}")
            return
        try:
            opened = _Opened(raw)
        except OSError as exc:
            yield InputProblem(source.name, f"read error ({exc})")
            return
        try:
            opened.peek()
            found = classify(opened.head, at_end=opened.at_end)
            if found is Format.JSON_DOCUMENT:
                yield from _json_document(opened.stream, source)
            elif found is Format.AWS_JSON_LINES or found is Format.JSON_LINES:
                yield from _json_lines(opened.stream, source, aws=found is Format.AWS_JSON_LINES)
            elif found is Format.S3_EXPORT:
                yield from _s3_export(opened.stream, source)
            else:
                yield from _text(opened.stream, source)
        except (OSError, EOFError, zlib.error) as exc:
            yield opened.problem(source.name, exc)
