"""Ruby backtraces: the interpreter's report of an uncaught error, and ``Logger#error(exc)``.

The interpreter prints the raising frame in the header, the rest after
``\\tfrom``, innermost first, then each cause the same way (no separator line)::

    /app/cause.rb:9:in `rescue in parse_order': cannot import order (OrderImportError)
    \\tfrom /app/cause.rb:6:in `parse_order'
    /usr/lib/ruby/3.1.0/json/common.rb:216:in `parse': unexpected token (JSON::ParserError)
    \\tfrom /app/cause.rb:7:in `parse_order'

Ruby 3.4 quotes labels with ``'`` instead of a backtick and names the receiver
(``in 'Orders#charge'``); both styles are read. A multi-line message prints its
first line in the header and the rest below it. ``Logger`` writes ``message
(Class)`` after its own prefix and the backtrace below, one frame a line.

Rails (``ActionDispatch::DebugExceptions``) writes ``Class (message):``, a blank
line, then the backtrace; ``TaggedLogging`` puts the request's tags
(``[<request uuid>] ``) before every line when ``log_tags`` are set, which are
read without them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from logship.records import ExceptionInfo, Frame, Relation, Trace

from ._lazy import LazyPattern
from ._limits import FrameWindow, cap_frames, chain_window

MARKER = r"^(?:\[[0-9a-fA-F-]+\] )*[ \t]*(?:from )?\S+:\d+:in [`']"

MAX_MESSAGE_LINES = 200

# Ruby frames are "<file>:<line>:in `<label>'" (3.4: "'<label>'"). Only the head is a
# regex: nested lazy groups over a whole line would backtrack cubically on bad input.
_LOCATION = LazyPattern(r"(?P<file>.+?):(?P<line>\d+):in [`']")
_TYPE = LazyPattern(r"[A-Z]\w*(?:::\w+)*")
_LEVELS_CUT = LazyPattern(r"\t ?\.\.\. (\d+) levels\.\.\.$")
# "message (Class)" as Logger's default formatter writes an exception.
_LOGGER_PREFIX = LazyPattern(r"[DIWEFA], \[[^\]]*\] +[A-Z]+ -- [^:]*: ")
_RECEIVER = LazyPattern(r"(?:(?:block|rescue|ensure) (?:\(\d+ levels\) )?in )*([A-Z][\w:]*)[#.]")
_NOT_IN_APP = LazyPattern(r"/gems/|/lib/ruby/|^<internal:|/vendor/bundle/|/rubygems/")
# Rails' TaggedLogging: the request id tags before each line of a multi-line message.
_REQUEST_TAGS = LazyPattern(r"(?:\[[0-9a-fA-F][0-9a-fA-F-]{7,}\] )+")
# Rails' "Class (message):" header.
_RAILS_HEADER = LazyPattern(r"(?P<type>[A-Z]\w*(?:::\w+)*) \((?P<message>.*)\):$")


# What a frame needs: the location's ":in `" (":in '" in Ruby 3.4), or "\tfrom ".
_WORDS = (":in `", ":in '", "\tfrom ")


def parse(text: str) -> Trace | None:
    """The Ruby backtrace in ``text``, or None when there is none."""
    # Every backtrace has a frame, ":in `label'" or a bare "\tfrom file:line",
    # which _first_header looks for line by line: a text holding none of them
    # (most, in a batch) is turned away unsplit.
    if not any(word in text for word in _WORDS):
        return None
    return _parse(text)


def _parse(text: str) -> Trace | None:
    lines = text.splitlines()
    if "):" in text:
        lines = _rails_lines(lines)
    start = _first_header(lines)
    if start is None:
        return None
    index, logger_style = start
    # Ruby prints the outermost first: an over-long chain keeps both ends, the root last.
    chain: FrameWindow[ExceptionInfo] = chain_window()
    while index < len(lines):
        parsed = _exception(lines, index, logger_style=logger_style)
        if parsed is None:
            break
        exception, index = parsed
        chain.add(exception if not chain.count else replace(exception, relation=Relation.CAUSE))
        logger_style = False  # Logger prints no causes; what follows is the interpreter's
    if not chain.count:
        return None
    # Logger's line holds the exception itself: no separate log message.
    before = [] if start[1] else [line.strip() for line in lines[: start[0]] if line.strip()]
    return Trace(language="ruby", chain=tuple(chain.kept()), message="\n".join(before)[:2000])


def _rails_lines(lines: list[str]) -> list[str]:
    """Rails' ``Class (message):`` report as Logger's ``message (Class)`` lines.

    Tagged or not: without ``log_tags`` the report is the same lines without
    the ``[<request uuid>] `` before each.
    """
    out: list[str] = []
    after_header = False
    for line in lines:
        tags = _REQUEST_TAGS.match(line)
        body = line[tags.end() :] if tags else line
        header = _RAILS_HEADER.match(body)
        if header is not None:
            body = f"{header['message']} ({header['type']})"
        elif after_header and not body.strip():
            continue  # the "  " line between the header and the backtrace
        after_header = header is not None
        out.append(body)
    return out


@dataclass(frozen=True, slots=True)
class _Location:
    filename: str
    lineno: str
    label: str
    rest: str  # what follows the closing quote


@dataclass(frozen=True, slots=True)
class _Header:
    type: str
    message: str
    location: _Location | None  # the raising frame; Logger's header has none


def _location(text: str) -> _Location | None:
    """``<file>:<line>:in `<label>'<rest>`` taken apart."""
    head = _LOCATION.match(text)
    if head is None:
        return None
    close = text.find("'", head.end())
    if close < 0:
        return None
    return _Location(
        head.group("file"), head.group("line"), text[head.end() : close], text[close + 1 :]
    )


def _typed(text: str) -> tuple[str, str] | None:
    """``<message> (<Type>)`` -> (type, message)."""
    if not text.endswith(")"):
        return None
    opening = text.rfind(" (")
    if opening < 0 or not _TYPE.fullmatch(text, opening + 2, len(text) - 1):
        return None
    return text[opening + 2 : -1], text[:opening]


def _header(line: str) -> _Header | None:
    """The interpreter's ``<file>:<line>:in `<label>': <message> (<Type>)``."""
    location = _location(line)
    if location is None or not location.rest.startswith(": "):
        return None
    typed = _typed(location.rest[2:])
    if typed is None:
        return None
    return _Header(type=typed[0], message=typed[1], location=location)


def _logger_header(line: str) -> _Header | None:
    """Logger's ``<prefix><message> (<Type>)``; the prefix is dropped."""
    typed = _typed(line)
    if typed is None:
        return None
    message = typed[1]
    prefix = _LOGGER_PREFIX.match(message)
    return _Header(
        type=typed[0], message=message[prefix.end() :] if prefix else message, location=None
    )


def _frame_line(line: str) -> Frame | None:
    """A backtrace line: ``\tfrom <location>`` or, in Logger's output, a bare location."""
    text = line[len("\tfrom ") :] if line.startswith("\tfrom ") else line.lstrip()
    location = _location(text)
    if location is not None and not location.rest:
        return _frame(location.filename, location.lineno, location.label)
    if line.startswith("\tfrom "):
        filename, _, lineno = text.rpartition(":")
        if filename and lineno.isdigit() and " " not in text:
            return _frame(filename, lineno, "")
    return None


def _exception(
    lines: list[str], index: int, *, logger_style: bool
) -> tuple[ExceptionInfo, int] | None:
    """The exception whose header is ``lines[index]``, and the index after its backtrace."""
    head = _logger_header(lines[index]) if logger_style else _header(lines[index])
    if head is None:
        return None
    frames: list[Frame] = []
    if head.location is not None:
        where = head.location
        frames.append(_frame(where.filename, where.lineno, where.label))
    index += 1
    end = len(lines)
    continuation: list[str] = []
    while index < end and len(continuation) < MAX_MESSAGE_LINES:
        if _frame_line(lines[index]) or _header(lines[index]):
            break
        continuation.append(lines[index])
        index += 1
    omitted = 0
    while index < end and not _header(lines[index]):  # a header starts the next cause
        cut = _LEVELS_CUT.match(lines[index])
        frame = _frame_line(lines[index])
        if cut:
            omitted += int(cut.group(1))
        elif frame is None:
            break
        else:
            frames.append(frame)
        index += 1
    frames.reverse()  # Ruby prints the raising frame first
    kept, dropped = cap_frames(frames)
    exception = ExceptionInfo(
        type=head.type,
        message="\n".join([head.message, *continuation]).strip("\n"),
        frames=kept,
        frames_omitted=omitted + dropped,
    )
    return exception, index


def _first_header(lines: list[str]) -> tuple[int, bool] | None:
    """The index of the first error line and whether it is Logger's style."""
    for index, line in enumerate(lines):
        if _header(line):
            return index, False
        if (
            index + 1 < len(lines)
            and not line.startswith((" ", "\t"))
            and lines[index + 1][:1] not in (" ", "\t")
            and _logger_header(line)
            and _frame_line(lines[index + 1])
        ):
            return index, True
    return None


def _frame(filename: str, lineno: str, label: str) -> Frame:
    receiver = _RECEIVER.match(label)
    if receiver:
        module = receiver.group(1)
    else:
        stem = filename.rsplit("/", 1)[-1]
        module = stem.removesuffix(".rb")
    return Frame(
        function=label,
        module=module,
        filename=filename,
        lineno=int(lineno),
        in_app=not _NOT_IN_APP.search(filename),
    )
