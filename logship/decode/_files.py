"""Files and stdin, read as they stream: :func:`from_path` opens the input
(:mod:`._opened`), finds its format by peeking (:mod:`._format`) and reads it with
that format's reader: JSON documents (:mod:`._documents`), JSON lines (AWS shapes or
structured application logs), CloudWatch exports to S3, plain text.

Nothing is held beyond one line (cut at ``max_line_bytes``) or one JSON
element (refused past ``max_inflated_bytes``).
"""

from __future__ import annotations

import codecs
import os
import time
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Any

from logship.exceptions import JsonStreamError
from logship.records import InputProblem, LogEvent

from ._documents import STREAMED, Origin, decode_parts, dump_event
from ._format import EXPORT_LINE, Format, aws_kind, classify, json_object
from ._jsonstream import parts_of, read_objects
from ._opened import CHUNK, STDIN, Opened, bounded_lines, open_raw, utf8_prefix
from ._payload import DEFAULT_MAX_INFLATED, NOT_UTF8, Item

if TYPE_CHECKING:
    pass

DEFAULT_MAX_LINE = 1024 * 1024
STDIN_NAME = "stdin"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)

# Fields structured loggers put the time in: structlog/pino/zap/logback/bunyan.
_TIME_FIELDS = ("timestamp", "@timestamp", "time", "ts")


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


def _text(stream: IO[bytes], source: _Input) -> Iterator[Item]:
    for number, line, cut in bounded_lines(stream, source.max_line_bytes):
        if line:  # CloudWatch cannot hold an empty event, so neither do we
            yield source.event(number, source.text(line, number, cut), source.base_time)
    yield from source.finish()


def _s3_export(stream: IO[bytes], source: _Input) -> Iterator[Item]:
    timestamp = source.base_time
    for number, line, cut in bounded_lines(stream, source.max_line_bytes):
        body = line
        match = EXPORT_LINE.match(line)
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
    for number, line, cut in bounded_lines(stream, limit):
        if not line.strip():
            continue
        where = f"{source.name}: line {number}"
        if aws and cut:
            yield InputProblem(where, f"line is longer than the limit of {limit} bytes; skipped")
            continue
        text = source.text(line, number, cut)
        value = None if cut else json_object(text)
        kind = aws_kind(value) if value is not None else ""
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
                kept = utf8_prefix(line[: source.max_line_bytes])
                text = source.text(kept, number, len(line) - len(kept))
            found = structured_time(value) if value is not None else None
            last_time = found if found is not None else last_time
            yield source.event(number, text, last_time)
    yield from source.finish()


def _text_chunks(stream: IO[bytes], source: _Input) -> Iterator[str]:
    """Text of ``stream`` in chunks; bytes that are not UTF-8 are replaced (and noted)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lenient = False
    while chunk := stream.read(CHUNK):
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
            raw = open_raw(path, stack)
        except OSError as exc:
            yield InputProblem(source.name, f"cannot open: {exc.strerror or exc}")
            return
        try:
            opened = Opened(raw)
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
