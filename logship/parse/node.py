"""Node.js stack traces: ``err.stack``, ``console.error(err)`` and crash output.

V8 prints the header (``TypeError: fetch failed``) then frames innermost first
(``    at fn (/app/x.js:1:2)``); :func:`parse` reverses them into Sentry order.
``util.inspect`` (what ``console.error`` and the crash handler use) appends the
error's own properties in braces, where a cause and an ``AggregateError``'s
members appear::

    TypeError: fetch failed
        at async loadPrices (/app/fetch_failed.js:15:20) {
      [cause]: Error: connect ECONNREFUSED 127.0.0.1:37759
          at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16) {
        code: 'ECONNREFUSED'
      }
    }

An error without frames is shown in brackets (``[AggregateError: All promises
were rejected] {``); pino's serializer appends causes as ``caused by: Error:
...`` lines. A crash starts with the throwing line's ``file:line``, the source
and a caret, skipped here, and ends with ``Node.js v20...``.

Causes are read in a loop, not by recursion, and only both ends of a chain
longer than :data:`~._limits.MAX_EXCEPTIONS` are kept: a retry loop can wrap an
error a thousand times, and the root cause is the innermost. Frames that
util.inspect elides as matching the cause's (``... 6 lines matching cause stack
trace ...``) are counted in ``frames_omitted``.

An error with a code keeps it in its type as Node prints it,
``TypeError [ERR_INVALID_ARG_TYPE]``: the code names the failure better than
the message does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from logship.records import ExceptionInfo, Frame, Relation, Trace

from ._lazy import LazyPattern
from ._limits import MAX_EXCEPTIONS, FrameWindow, cap_frames, chain_window

MARKER = r"^ +at \S|^ *\[[A-Z]\w*(?: \[[\w-]+\])?: "

MAX_DEPTH = 100  # AggregateError members nested inside each other (causes are not bounded)
MAX_HEADER_SEARCH = 10  # lines of a multi-line message searched for the header or frames

_NAME = r"[A-Za-z_$][\w$.]*"
_FRAME = LazyPattern(r"\s+at (\S.*)$")
_FRAME_PARTS = LazyPattern(r"(.+?) \((.*)\)$")
_LOCATION = LazyPattern(r"(.*?):(\d+)(?::\d+)?$")
_LINE_COLUMN = LazyPattern(r":\d+:\d+$")
# An error-like name, possibly after a log prefix: "Failed to load prices TypeError: x".
_STRICT_HEADER = LazyPattern(
    r"(?:^|(?<=\s))(?:Uncaught )?(?P<type>[A-Za-z_$][\w$.]*(?:Error|Exception|Rejection)|Error)"
    r"(?P<code> \[[\w-]+\])?(?:: (?P<message>.*)|:?$)"
)
_LOOSE_HEADER = LazyPattern(
    rf"\s*(?:Uncaught )?(?P<type>{_NAME})(?P<code> \[[\w-]+\])?(?:: (?P<message>.*)|:?$)"
)
_BRACKET_HEADER = LazyPattern(rf"\s*\[(?P<type>{_NAME})(?P<code> \[[\w-]+\])?: (?P<message>.*)\]$")
_CARET = LazyPattern(r"\s*\^+\s*$")
# util.inspect's stand-in for the frames an error shares with its cause.
_MATCHING_CAUSE = LazyPattern(r" +\.\.\. (\d+) lines matching cause stack trace \.\.\.$")
_CAUSE_PROPERTY = "[cause]: "
_ERRORS_PROPERTY = "[errors]: ["
_PINO_CAUSE = "caused by: "


@dataclass(frozen=True, slots=True)
class _Header:
    """An error's first line, taken apart."""

    type: str
    message: str
    indent: int  # of the line, to find the end of the error's property block
    opens: bool  # ends with " {": util.inspect prints the error's properties next
    bracketed: bool  # "[TypeError: x]": an error without frames
    prefix: str = ""  # text before the type on the same line: the log message


@dataclass(slots=True)
class _Error:
    info: ExceptionInfo
    # AggregateError's errors, each with its own causes; the first MAX_EXCEPTIONS.
    members: list[FrameWindow[_Error]] = field(default_factory=list)


@dataclass(slots=True)
class _Block:
    """The ``{ ... }`` property block of an error, opened and not yet closed."""

    error: _Error
    indent: int  # of the error's header line; the closing brace is no deeper
    inner: str  # the indentation of the block's properties
    caused: bool = False  # its [cause] has been read


def parse(text: str) -> Trace | None:
    """The first Node.js error in ``text``, or None when there is none."""
    lines = text.splitlines()
    start = _first_error(lines)
    if start is None:
        return None
    header_index, header = start
    errors, _ = _parse_chain(lines, header_index + 1, header, 0)
    chain: list[ExceptionInfo] = []
    related: list[ExceptionInfo] = []
    _flatten(errors, None, chain, related)
    return Trace(
        language="node",
        chain=tuple(chain),
        related=tuple(related[:MAX_EXCEPTIONS]),
        message=_log_message(lines, header_index, header.prefix),
    )


def _read_header(line: str, indent: int, *, strict: bool) -> _Header | None:
    """Parse ``line`` (with any label such as ``[cause]: `` already removed) as a header."""
    text, opens = _split_open(line)
    if text.endswith(","):
        text = text[:-1]
    bracket = _BRACKET_HEADER.match(text)
    match = bracket or (_STRICT_HEADER.search(text) if strict else _LOOSE_HEADER.match(text))
    if match is None:
        return None
    return _Header(
        type=match.group("type") + (match.group("code") or ""),
        message=match.group("message") or "",
        indent=indent,
        opens=opens,
        bracketed=bracket is not None,
        prefix="" if bracket else text[: match.start("type")].strip(),
    )


def _split_open(line: str) -> tuple[str, bool]:
    stripped = line.rstrip()
    if stripped.endswith(" {"):
        return stripped[:-2], True
    return stripped, False


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _first_error(lines: list[str]) -> tuple[int, _Header] | None:
    """The index of the first error header and the header."""
    for index, line in enumerate(lines):
        if line.lstrip().startswith("["):
            header = _read_header(line, _indent(line), strict=False)
            if header is not None and header.bracketed:
                return index, header
        if _is_frame(line):
            return _header_above(lines, index)
    return None


def _header_above(lines: list[str], frame_index: int) -> tuple[int, _Header] | None:
    """The header line of the frames starting at ``frame_index``: the message may span lines."""
    if frame_index == 0:
        return None
    above = lines[frame_index - 1]
    header = _read_header(above, _indent(above), strict=True)
    if header is not None:
        return frame_index - 1, header
    for index in range(frame_index - 2, max(-1, frame_index - 1 - MAX_HEADER_SEARCH), -1):
        line = lines[index]
        if _CARET.match(line) or _is_frame(line):
            break
        header = _read_header(line, _indent(line), strict=True)
        if header is not None:
            return index, header
    header = _read_header(above, _indent(above), strict=False)
    return (frame_index - 1, header) if header is not None else None


def _parse_chain(
    lines: list[str], index: int, header: _Header, depth: int
) -> tuple[FrameWindow[_Error], int]:
    """The error whose header is just before ``index`` and its causes, outermost first.

    Returns both ends of the chain and the index after it. Each cause is nested
    in the block of the error before it (util.inspect's ``[cause]:``) or follows
    it (pino's ``caused by:``); a stack of open blocks replaces recursion.
    """
    chain: FrameWindow[_Error] = chain_window()
    blocks: list[_Block] = []
    end = len(lines)
    current: _Header | None = header
    while current is not None:
        error, index, opens = _parse_error(lines, index, current)
        chain.add(error)
        if opens:
            blocks.append(_Block(error, current.indent, " " * (current.indent + 2)))
        current = None
        while current is None and blocks and index < end:
            current, index = _read_property(lines, index, blocks, depth)
        if current is None and not blocks and index < end and lines[index].startswith(_PINO_CAUSE):
            current = _read_header(lines[index][len(_PINO_CAUSE) :], 0, strict=False)
            if current is not None:
                index += 1
    return chain, index


def _parse_error(lines: list[str], index: int, header: _Header) -> tuple[_Error, int, bool]:
    """The error whose header line is just before ``index``, without its property block.

    Returns it, the index after its frames and whether a ``{ ... }`` block follows.
    """
    message = [header.message]
    opens = header.opens
    end = len(lines)
    if not opens and not header.bracketed:
        # Lines between the header and the first frame continue a multi-line message.
        for scan in range(index, min(end, index + MAX_HEADER_SEARCH)):
            if _is_frame(lines[scan]):
                message.extend(lines[index:scan])
                index = scan
                break
    frames: list[Frame] = []
    elided = 0
    while not opens and index < end:
        if not _is_frame(lines[index]):
            matching = _MATCHING_CAUSE.match(lines[index])
            if matching is None:
                break
            elided += int(matching.group(1))
            index += 1
            continue
        text, opens = _split_open(lines[index])
        index += 1
        if text.endswith(","):
            frames.append(_frame(text[:-1].lstrip()[3:]))
            break  # the next member of an [errors] array follows
        frames.append(_frame(text.lstrip()[3:]))
    frames.reverse()  # V8 prints the raising frame first
    kept, cut = cap_frames(frames)
    error = _Error(
        ExceptionInfo(
            type=header.type,
            message="\n".join(message).strip(),
            frames=kept,
            frames_omitted=cut + elided,
        )
    )
    return error, index, opens


def _read_property(
    lines: list[str], index: int, blocks: list[_Block], depth: int
) -> tuple[_Header | None, int]:
    """One line of the innermost open block; returns the header of a cause, if it starts one.

    Closing the block pops it; ``[errors]`` members are read whole. Returns the
    index after what was read.
    """
    block = blocks[-1]
    line = lines[index]
    if line.strip() in ("}", "},") and _indent(line) <= block.indent:
        blocks.pop()
        return None, index + 1
    if not block.caused and line.startswith(block.inner + _CAUSE_PROPERTY):
        text = line[len(block.inner) + len(_CAUSE_PROPERTY) :]
        header = _read_header(text, block.indent + 2, strict=False)
        if header is not None and (header.bracketed or _next_is_frame(lines, index)):
            block.caused = True
            return header, index + 1
    if depth < MAX_DEPTH and line.startswith(block.inner + _ERRORS_PROPERTY):
        return None, _parse_members(lines, index + 1, block.indent + 2, block.error, depth)
    return None, index + 1


def _parse_members(lines: list[str], index: int, indent: int, error: _Error, depth: int) -> int:
    """The members of ``[errors]: [ ... ]``; returns the index after the closing bracket."""
    end = len(lines)
    while index < end:
        line = lines[index]
        if line.strip() in ("]", "],") and _indent(line) <= indent:
            return index + 1
        header = _read_header(line, _indent(line), strict=False)
        if header is not None and (header.bracketed or _next_is_frame(lines, index)):
            member, index = _parse_chain(lines, index + 1, header, depth + 1)
            if len(error.members) < MAX_EXCEPTIONS:  # related keeps no more than that
                error.members.append(member)
            continue
        index += 1
    return index


def _is_frame(line: str) -> bool:
    """A V8 frame: ``at fn (location)``, ``at location:line:col``, ``at <anonymous>``.

    The shape check keeps .NET's ``   at Ns.Type.Method() in file.cs:line 5``
    (three spaces, no space before the parenthesis) out.
    """
    if not line.startswith(" "):
        return False
    match = _FRAME.match(line)
    if match is None:
        return False
    text = _split_open(match.group(1))[0].removesuffix(",")
    if text.endswith(")"):
        return " (" in text
    return text in ("<anonymous>", "native") or bool(_LINE_COLUMN.search(text))


def _next_is_frame(lines: list[str], index: int) -> bool:
    return any(_is_frame(line) for line in lines[index + 1 : index + 1 + MAX_HEADER_SEARCH])


def _flatten(
    errors: FrameWindow[_Error],
    relation: Relation | None,
    chain: list[ExceptionInfo],
    related: list[ExceptionInfo],
) -> None:
    """Outermost first; each member is followed by its own causes in ``related``."""
    for position, error in enumerate(errors.kept()):
        chain.append(replace(error.info, relation=relation if position == 0 else Relation.CAUSE))
        for member in error.members:
            member_chain: list[ExceptionInfo] = []
            nested: list[ExceptionInfo] = []
            _flatten(member, Relation.GROUP, member_chain, nested)
            related.extend(member_chain)
            related.extend(nested)


def _frame(text: str) -> Frame:
    # Only a location in parentheses ends with ")": checking first keeps the regex linear.
    parts = _FRAME_PARTS.match(text) if text.endswith(")") else None
    function, location = (parts.group(1), parts.group(2)) if parts else ("", text)
    function = function.removeprefix("async ") or "<anonymous>"
    lineno: int | None = None
    where = _LOCATION.match(location)
    filename = location
    if where:
        filename, lineno = where.group(1), int(where.group(2))
    filename = filename.removeprefix("file://")
    return Frame(
        function=function,
        module=_module(filename),
        filename=filename,
        lineno=lineno,
        in_app=_in_app(filename),
    )


def _module(filename: str) -> str:
    """The npm package of a dependency, the built-in's name, or the file's stem."""
    if "node_modules/" in filename:
        after = filename.rsplit("node_modules/", 1)[1].split("/")
        return "/".join(after[:2]) if after[0].startswith("@") else after[0]
    if filename.startswith("node:"):
        return filename
    if "/" not in filename and "\\" not in filename:
        return ""
    stem = re.split(r"[/\\]", filename)[-1]
    return stem.rsplit(".", 1)[0] if "." in stem else stem


def _in_app(filename: str) -> bool:
    if not filename or "node_modules" in filename or filename.startswith(("node:", "internal/")):
        return False
    # "<anonymous>", "native", "index 0": frames of built-ins, with no file of their own.
    return "/" in filename or "\\" in filename


def _log_message(lines: list[str], header_index: int, prefix: str) -> str:
    if prefix:
        return prefix
    before = [line.strip() for line in lines[:header_index] if line.strip()]
    if len(before) >= 3 and _CARET.match(before[-1]):
        before = before[:-3]  # the crash header: file:line, the source line, the caret
    return "\n".join(before)[:2000]
