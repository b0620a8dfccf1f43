"""Dart VM stack traces: an uncaught exception, and an error logged with its StackTrace.

The VM reports an unhandled exception as ``Unhandled exception:``, the thrown
object's ``toString()`` (any number of lines), then ``StackTrace.toString()``,
innermost frame first, the index padded to eight columns::

    Unhandled exception:
    Bad state: order 42 already shipped
    #0      OrderService.ship (package:shop/orders.dart:42:7)
    <asynchronous suspension>
    #1      main (file:///app/bin/server.dart:12:3)
    <asynchronous suspension>

Line and column may be missing (``(dart:isolate-patch/isolate_patch.dart:265)``).
A service that logs an error itself (``package:logging`` listeners that print
``record.error`` and ``record.stackTrace``) writes the same two parts under its
own log line, without the VM's first line.

Dart prints ``toString()`` only, never the runtime type, and has no cause
chain: the type is read from the fixed ``toString()`` shapes of ``dart:core``
and ``dart:async`` (``Bad state: x`` is a ``StateError``, ``Instance of 'X'``
an ``X``), else from a leading ``Name: message``. A thrown value whose text
has none of these shapes (a thrown string, a class whose ``toString()``
returns a bare sentence) gets :data:`UNNAMED_TYPE`.

The shapes follow the SDK's sources (``sdk/lib/core/errors.dart``,
``exceptions.dart``, the VM's ``errors_patch.dart``) and the VM stack trace
format as ``package:stack_trace`` reads it; no Dart runtime was available to
print them (``tests/fixtures/traces/dart/README.md``).
"""

from __future__ import annotations

import re

from logship.records import ExceptionInfo, Frame, Trace

from ._lazy import LazyPattern
from ._limits import FrameWindow
from .line import message_before, parse_prefix

# The VM's crash line, or a first frame: "#0" padded to eight columns, then
# "member (uri...)". Every location is a URI (dart:, package:, file:, ...).
MARKER = r"^Unhandled exception:$|^#0 +\S.* \([a-z][\w+.-]*:"

# The type of a thrown value whose toString() names none (see the module docstring).
UNNAMED_TYPE = "Object"

MAX_HEADER_LINES = 200  # lines of one toString(): NoSuchMethodError's, FormatException's, ...

_UNHANDLED = "Unhandled exception:"
_ASYNC_SUSPENSION = "<asynchronous suspension>"
_FRAME = LazyPattern(
    r"#\d+ +(?P<member>\S.*?) \((?P<uri>[a-z][\w+.-]*:[^\s()]*?)"
    r"(?::(?P<line>\d+))?(?::(?P<column>\d+))?\)$"
)
# FormatException's toString() marks the offset in its source line with a caret.
_CARET = LazyPattern(r" *\^$")
# The lines NoSuchMethodError's toString() writes under its first line.
_NO_SUCH_METHOD_DETAILS = ("Receiver: ", "Tried calling: ", "Found: ")

# toString() shapes of the SDK's own errors that do not start with the type's
# name, and the type each stands for. The first that matches the first line wins.
_KNOWN_SHAPES: tuple[tuple[LazyPattern, str], ...] = tuple(
    (LazyPattern(pattern), type_name)
    for pattern, type_name in (
        (r"Bad state(?:: |$)", "StateError"),
        (r"Invalid argument(?:\(s\))?(?: \([^)]*\))?(?:: |$)", "ArgumentError"),
        (r"Unsupported operation(?:: |$)", "UnsupportedError"),
        (r"Concurrent modification during iteration", "ConcurrentModificationError"),
        (r"Assertion failed(?:: |$)", "AssertionError"),
        (r"'[^']*': Failed assertion: ", "AssertionError"),
        (r"Null check operator used on a null value", "TypeError"),
        (r"type '.*' is not a subtype of type '", "TypeError"),
        (r"'[^']*': malformed type: ", "TypeError"),  # Dart 1
        (r"'[^']*': Switch case fall-through", "FallThroughError"),  # Dart 1
        (r"Cannot instantiate abstract class ", "AbstractClassInstantiationError"),  # Dart 1
        (r"Reading static variable '.*' during its initialization", "CyclicInitializationError"),
        (r"Stack Overflow$", "StackOverflowError"),
        (r"Out of Memory$", "OutOfMemoryError"),
        (r"TimeoutException after ", "TimeoutException"),  # dart:async, with its duration
    )
)
# "Instance of 'PaymentError'": Object.toString() of a class that does not override it.
_INSTANCE_OF = LazyPattern(r"Instance of '(?P<type>[^']+)'$")
# "Name: message", "Name (detail): message" (RangeError (index): ...), "Name [kind]: message",
# or a lone name ending in Error/Exception ("IntegerDivisionByZeroException").
_NAMED = LazyPattern(
    r"(?P<type>_?[A-Z][\w$]*)(?: ?\([^)]*\)| \[[^\]]*\])?(?:: (?P<message>.*)|:?$)"
)

# Packages of the SDK and of pub.dev that are no service's own code. A
# service's own package ("package:shop/...") and its files (file:///app/...) are in-app.
_LIBRARY_PACKAGES = frozenset(
    (
        *("args", "async", "characters", "clock", "collection", "convert", "crypto"),
        *("dart_frog", "dio", "ffi", "fixnum", "freezed_annotation", "functions_framework"),
        *("get_it", "googleapis", "googleapis_auth", "grpc", "http", "http_parser", "intl"),
        *("io", "js", "json_annotation", "logging", "matcher", "meta", "mime", "mongo_dart"),
        *("mysql1", "path", "pool", "postgres", "protobuf", "redis", "retry", "riverpod"),
        *("sentry", "shelf", "shelf_router", "shelf_static", "shelf_web_socket", "source_span"),
        *("stack_trace", "stream_channel", "string_scanner", "term_glyph", "test", "test_api"),
        *("test_core", "typed_data", "uuid", "web_socket_channel", "yaml"),
    )
)
# A file URI of a package's sources in the pub cache is a dependency's.
_PUB_CACHE_PATHS = ("/.pub-cache/", "/pub-cache/", "/.dart_tool/")


def parse(text: str) -> Trace | None:
    """The Dart error in ``text``, or None when there is none."""
    # Every trace read here has the VM's crash line or a "#0" frame: a text
    # holding neither (most, in a batch) is turned away unsplit.
    if "#0 " not in text and _UNHANDLED not in text:
        return None
    lines = text.splitlines()
    first_frame = next((i for i, line in enumerate(lines) if _is_frame(line)), None)
    found = _header(lines, len(lines) if first_frame is None else first_frame)
    if found is None:
        return None
    header, log_lines = found
    exc_type, message = type_and_message(header)
    frames: FrameWindow[Frame] = FrameWindow()
    if first_frame is not None:
        _read_frames(lines, first_frame, frames)
    kept = frames.kept()
    kept.reverse()  # the VM prints the throwing frame first; Sentry wants it last
    return Trace(
        language="dart",
        chain=(
            ExceptionInfo(
                type=exc_type,
                message=message,
                frames=tuple(kept),
                frames_omitted=frames.omitted,
            ),
        ),
        message=message_before(log_lines)[:2000],
    )


def type_and_message(header: list[str]) -> tuple[str, str]:
    """The type a ``toString()`` shape stands for, and the message it carries.

    ``header`` holds the lines of the thrown object's ``toString()``; the
    lines after the first (a FormatException's source and caret, a
    NoSuchMethodError's receiver) stay in the message.
    """
    first = header[0].strip() if header else ""
    rest = "\n".join(header[1:]).rstrip()
    exc_type, message = _first_line_type(first)
    return exc_type, f"{message}\n{rest}".strip("\n") if rest else message


def _first_line_type(first: str) -> tuple[str, str]:
    for pattern, type_name in _KNOWN_SHAPES:
        if pattern.match(first):
            return type_name, first
    instance = _INSTANCE_OF.match(first)
    if instance:
        return instance.group("type"), ""
    named = _NAMED.match(first)
    if named and (named.group("message") is not None or _is_error_name(named.group("type"))):
        return named.group("type"), named.group("message") or ""
    return UNNAMED_TYPE, first


def _is_error_name(name: str) -> bool:
    return name.endswith(("Error", "Exception")) or name == "Exception"


def _is_frame(line: str) -> bool:
    return line.startswith("#") and _FRAME.match(line) is not None


def _header(lines: list[str], first_frame: int) -> tuple[list[str], list[str]] | None:
    """The lines of the thrown object's toString(), and the log lines above them.

    Under the VM's ``Unhandled exception:`` line everything down to the first
    frame is the toString(); without it (a logged error) the toString() is the
    line above the frames, with the lines the SDK's multi-line shapes add.
    """
    lowest = max(0, first_frame - MAX_HEADER_LINES)
    for index in range(first_frame - 1, lowest - 1, -1):
        if lines[index] == _UNHANDLED:
            header = _without_trailing_blanks(lines[index + 1 : first_frame])
            return header, lines[:index]
    if first_frame >= len(lines):
        return None  # neither the VM's line nor a frame
    start = _logged_start(lines, first_frame)
    if start is None:
        return [], lines[:first_frame]  # frames alone: a logged StackTrace
    return _without_trailing_blanks(lines[start:first_frame]), lines[:start]


def _logged_start(lines: list[str], first_frame: int) -> int | None:
    """The first line of a logged error's toString(), right above its frames."""
    index = first_frame - 1
    while index >= 0 and not lines[index].strip():
        index -= 1  # FormatException's toString() ends with a newline
    if index < 0 or parse_prefix(lines[index]) is not None:
        return None  # the log line itself: the service printed the StackTrace alone
    if _CARET.match(lines[index]) and index >= 2:
        return index - 2  # "FormatException: msg (at character 5)", the source, the caret
    while index > 0 and lines[index].startswith(_NO_SUCH_METHOD_DETAILS):
        index -= 1
    return index


def _without_trailing_blanks(header: list[str]) -> list[str]:
    end = len(header)
    while end and not header[end - 1].strip():
        end -= 1
    return header[:end]


def _read_frames(lines: list[str], index: int, frames: FrameWindow[Frame]) -> None:
    """Add the frames from ``index`` on, across async suspensions, to ``frames``."""
    for line in lines[index:]:
        if line == _ASYNC_SUSPENSION:
            continue
        match = _FRAME.match(line) if line.startswith("#") else None
        if match is None:
            return
        frames.add(_frame(match))


def _frame(match: re.Match[str]) -> Frame:
    uri = match.group("uri")
    line = match.group("line")
    filename = uri.removeprefix("file://")
    return Frame(
        function=match.group("member"),
        module=_module(uri),
        filename=filename,
        lineno=int(line) if line else None,
        in_app=_in_app(uri),
    )


def _module(uri: str) -> str:
    """``shop`` for ``package:shop/x.dart``, ``dart:core`` for the SDK, else the file's stem."""
    if uri.startswith("package:"):
        return uri[len("package:") :].split("/", 1)[0]
    if uri.startswith("dart:"):
        return uri.split("/", 1)[0].removesuffix("-patch")
    stem = uri.rsplit("/", 1)[-1]
    return stem.removesuffix(".dart")


def _in_app(uri: str) -> bool:
    if uri.startswith("dart:"):
        return False
    if uri.startswith("package:"):
        return uri[len("package:") :].split("/", 1)[0] not in _LIBRARY_PACKAGES
    return not any(path in uri for path in _PUB_CACHE_PATHS)
