"""PHP errors and uncaught exceptions, as the engine logs them.

An uncaught exception (``display_errors`` off, ``log_errors`` on, the usual
setup in a container)::

    PHP Fatal error:  Uncaught RuntimeException: cannot read x in /app/previous.php:7
    Stack trace:
    #0 /app/previous.php(15): readRates('/nonexistent/ra...')
    #1 {main}

    Next LogicException: rates unavailable in /app/previous.php:17
    Stack trace:
    #0 {main}
      thrown in /app/previous.php on line 17

PHP prints the innermost ``$previous`` first and each wrapper after ``Next``,
so the last ``Next`` is the outermost exception: :func:`parse` reverses them.

Each ``#N file(line): call()`` entry says where ``call`` was *called*; the
function running at that line is the next entry's. Frames are rebuilt the way
Sentry's PHP SDK does it: the header's ``in file:line`` is where the first
call's function raised, and ``{main}`` runs at the last call site.

An error that is not an exception (``PHP Fatal error:  Allowed memory size
... in /app/x.php on line 6``, ``PHP Warning:  ...``) becomes one exception
whose type is the level as printed, ``PHP Fatal error`` or ``PHP Warning``.
The same text written with ``display_errors`` (``Fatal error: ...``, no
``PHP``) is read too, and ``(string) $exception`` (no level at all).

Monolog's ``LineFormatter`` with ``includeStacktraces`` (Laravel's default)
writes the exception into the record's JSON context, outermost first, each
cause after ``[previous exception]``::

    [2024-05-01 12:00:00] app.ERROR: msg {"exception":"[object] (App\\X(code: 0): m at /a.php:33)
    [stacktrace]
    #0 /app/a.php(144): App\\Payments\\Client->record()
    #1 {main}

    [previous exception] [object] (GuzzleHttp\\Exception\\ConnectException(code: 0): .. at /x.php:2)
    [stacktrace]
    ...
    "}
"""

from __future__ import annotations

import re

from logship.records import ExceptionInfo, Frame, Relation, Trace

from ._lazy import LazyPattern
from ._limits import FrameWindow, cap_frames, chain_window

_LEVEL_NAMES = (
    r"Fatal error|Parse error|Warning|Notice|Deprecated|Recoverable fatal error"
    r"|Catchable fatal error|Strict Standards"
)
MARKER = rf"PHP (?:{_LEVEL_NAMES}):|^(?:Fatal error|Parse error): |^Stack trace:$|^\[stacktrace\]$"

MAX_HEADER_LINES = 200  # lines of a multi-line exception message

_LEVEL_LINE = LazyPattern(
    rf"(?:PHP (?P<level>{_LEVEL_NAMES})|^(?P<display>Fatal error|Parse error)):  ?(?P<rest>.*)$"
)
_TYPE = LazyPattern(r"(?P<type>[A-Za-z_\\][\w\\]*)(?:: |$| in )")
_WHERE_EXCEPTION = LazyPattern(r"(?P<file>.+):(?P<line>\d+)$")
_FRAME = LazyPattern(
    r"#\d+ (?:(?P<file>.+)\((?P<line>\d+)\)|\[internal function\]|(?P<main>\{main\})): ?"
    r"(?P<call>.*)$|#\d+ \{main\}$"
)
_NEXT = "Next "
# PHP 5's uncaught exception: "exception 'X' with message 'msg' in f:n".
_PHP5_HEADER = LazyPattern(
    r"exception '(?P<type>[A-Za-z_\\][\w\\]*)' with message '(?P<message>.*)'"
    r" in (?P<where>.+:\d+)$",
    re.DOTALL,
)
# Monolog's "[object] (Type(code: 0): message at file:line)"; JSON escapes its backslashes.
_MONOLOG_OBJECT = LazyPattern(r"\[object\] \((?P<type>[A-Za-z_\\][\w\\]*)\(code: -?\d+\): ")
_MONOLOG_STACK = "[stacktrace]"
_MONOLOG_PREVIOUS = "[previous exception] "
_NOT_IN_APP = LazyPattern(r"/vendor/|^/usr/share/php/|^phar://")


# What _LEVEL_LINE or the "Stack trace:" line needs: "PHP <level>:" or a display error.
_WORDS = ("PHP ", "Fatal error:", "Parse error:", "Stack trace:", _MONOLOG_STACK)


def parse(text: str) -> Trace | None:
    """The PHP error or uncaught exception in ``text``, or None when there is none."""
    # Every error read here has a level line or a "Stack trace:" line, which
    # parse looks for line by line: a text holding none of their words (most,
    # in a batch) is turned away unsplit.
    if not any(word in text for word in _WORDS):
        return None
    return _parse(text)


def _parse(text: str) -> Trace | None:
    lines = text.splitlines()
    if _MONOLOG_STACK in lines:
        chain = _monolog_chain(lines)
        if chain:
            return Trace(language="php", chain=chain)
    searched = 0  # lines above it already searched for a header: each is searched once
    for index, line in enumerate(lines):
        level = _LEVEL_LINE.search(line)
        if level:
            message = "\n".join(part.strip() for part in lines[:index] if part.strip())
            rest = level.group("rest")
            if rest.startswith("Uncaught "):
                chain = _exceptions(lines, index, rest[len("Uncaught ") :])
                if chain:
                    return Trace(language="php", chain=chain, message=message[:2000])
            error = _plain_error(level.group("level") or level.group("display"), rest)
            if error is not None:
                return Trace(language="php", chain=(error,), message=message[:2000])
            continue
        if line == "Stack trace:" and index > 0:
            start = _header_start(lines, index, searched)
            searched = index + 1
            if start is not None:
                chain = _exceptions(lines, start, lines[start])
                if chain:
                    message = "\n".join(part.strip() for part in lines[:start] if part.strip())
                    return Trace(language="php", chain=chain, message=message[:2000])
    return None


def _monolog_chain(lines: list[str]) -> tuple[ExceptionInfo, ...]:
    """The exceptions of Monolog's ``[object] (...)`` blocks, outermost first."""
    printed: FrameWindow[ExceptionInfo] = chain_window()
    index, end = 0, len(lines)
    while index < end:
        found = _MONOLOG_OBJECT.search(lines[index])
        if found is None:
            index += 1
            continue
        if printed.count and not lines[index].startswith(_MONOLOG_PREVIOUS):
            break  # a second log record's exception: not this one's cause
        header = [lines[index][found.end() :]]
        index += 1
        while index < end and lines[index] != _MONOLOG_STACK and len(header) < MAX_HEADER_LINES:
            header.append(lines[index])
            index += 1
        body, _, where_text = "\n".join(header).rstrip().removesuffix(")").rpartition(" at ")
        where = _WHERE_EXCEPTION.match(where_text)
        calls: list[tuple[str, int | None, str]] = []
        index += 1  # "[stacktrace]"
        while index < end:
            frame = _FRAME.match(lines[index].replace("\\\\", "\\"))
            if frame is None:
                break
            index += 1
            if frame.group("main") or frame.group("call") is None:
                break
            line = frame.group("line")
            calls.append(
                (frame.group("file") or "", int(line) if line else None, frame.group("call"))
            )
        frames = _frames(where.group("file"), int(where.group("line")), calls) if where else []
        kept, cut = cap_frames(frames)
        printed.add(
            ExceptionInfo(
                type=found.group("type").replace("\\\\", "\\"),
                message=body.replace("\\\\", "\\"),
                frames=kept,
                frames_omitted=cut,
                relation=Relation.CAUSE if printed.count else None,
            )
        )
    return tuple(printed.kept())


def _header_start(lines: list[str], stack_index: int, floor: int) -> int | None:
    """Where the ``Type: message in file:line`` ending just above ``Stack trace:`` starts."""
    lowest = max(floor, stack_index - MAX_HEADER_LINES)
    for index in range(stack_index - 1, lowest - 1, -1):
        if _TYPE.match(lines[index]) or lines[index].startswith("exception '"):
            return index
    return None


def _exceptions(lines: list[str], index: int, first: str) -> tuple[ExceptionInfo, ...]:
    """The exceptions printed from ``lines[index]`` on, outermost first.

    ``first`` stands for ``lines[index]`` without what precedes the exception
    type on it (the level, "Uncaught ", "Next ").
    """
    # PHP prints the root cause first: an over-long chain keeps both ends.
    printed: FrameWindow[ExceptionInfo] = chain_window()
    end = len(lines)
    while index < end:
        parsed = _exception(lines, index, first)
        if parsed is None:
            break
        exception, index = parsed
        printed.add(exception)
        while index < end and not lines[index].strip():
            index += 1
        if index < end and lines[index].startswith(_NEXT):
            first = lines[index][len(_NEXT) :]
            continue
        break
    chain = [
        exception if position == 0 else _with_cause(exception)
        for position, exception in enumerate(reversed(printed.kept()))
    ]
    return tuple(chain)


def _with_cause(exception: ExceptionInfo) -> ExceptionInfo:
    return ExceptionInfo(
        type=exception.type,
        message=exception.message,
        frames=exception.frames,
        relation=Relation.CAUSE,
        frames_omitted=exception.frames_omitted,
    )


def _exception(lines: list[str], index: int, first: str) -> tuple[ExceptionInfo, int] | None:
    """One ``Type: message in file:line`` + ``Stack trace:`` block."""
    end = len(lines)
    header: list[str] = [first]
    index += 1
    while index < end and len(header) < MAX_HEADER_LINES and lines[index] != "Stack trace:":
        header.append(lines[index])
        index += 1
    if index >= end or not header:
        return None
    text = "\n".join(header)
    old_style = _PHP5_HEADER.match(text)
    if old_style is not None:
        text = f"{old_style['type']}: {old_style['message']} in {old_style['where']}"
    kind = _TYPE.match(text)
    if kind is None or " in " not in text:
        return None
    body, _, where_text = text.rpartition(" in ")
    where = _WHERE_EXCEPTION.match(where_text)
    if where is None:
        return None
    message = body[kind.end("type") :].removeprefix(": ")
    index += 1  # "Stack trace:"
    calls: list[tuple[str, int | None, str]] = []  # (file, line, call) as printed, innermost first
    while index < end:
        frame = _FRAME.match(lines[index])
        if frame is None:
            break
        index += 1
        if frame.group("main") or frame.group("call") is None:
            break
        line = frame.group("line")
        calls.append((frame.group("file") or "", int(line) if line else None, frame.group("call")))
    if index < end and lines[index].lstrip().startswith("thrown in "):
        index += 1
    frames = _frames(where.group("file"), int(where.group("line")), calls)
    kept, cut = cap_frames(frames)
    return (
        ExceptionInfo(type=kind.group("type"), message=message, frames=kept, frames_omitted=cut),
        index,
    )


def _frames(file: str, line: int, calls: list[tuple[str, int | None, str]]) -> list[Frame]:
    """Sentry-order frames: each call site runs the function of the entry below it."""
    innermost_first: list[Frame] = []
    location: tuple[str, int | None] = (file, line)
    for call_file, call_line, call in calls:
        innermost_first.append(_frame(call, *location))
        location = (call_file, call_line)
    innermost_first.append(_frame("{main}", *location))
    innermost_first.reverse()
    return innermost_first


def _plain_error(level: str, rest: str) -> ExceptionInfo | None:
    """``<message> in <file> on line <n>``, split from the right (a regex would backtrack)."""
    head, found, line = rest.rpartition(" on line ")
    message, found_in, filename = head.rpartition(" in ")
    if not found or not found_in or not line.strip().isdigit() or not filename:
        return None
    frame = Frame(
        function="",
        filename=filename,
        lineno=int(line),
        in_app=not _NOT_IN_APP.search(filename),
    )
    return ExceptionInfo(type=f"PHP {level}", message=message, frames=(frame,))


def _frame(call: str, filename: str, lineno: int | None) -> Frame:
    name = call.split("(", 1)[0] if not call.startswith("{closure") else call.rsplit("(", 1)[0]
    module, function = "", name
    for separator in ("->", "::"):
        if separator in name:
            module, function = name.split(separator, 1)
            break
    else:
        if "\\" in name:
            module, function = name.rsplit("\\", 1)
    return Frame(
        function=function,
        module=module,
        filename=filename,
        lineno=lineno,
        in_app=bool(filename) and not _NOT_IN_APP.search(filename),
    )
