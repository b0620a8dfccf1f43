"""Python tracebacks, as printed by the interpreter and by ``logging.exception``.

Python prints a chain root cause first: each exception is followed by "The
above exception was the direct cause of the following exception:" (``raise ...
from``) or "During handling of the above exception, another exception
occurred:" (implicit context), then the next, outer one. :func:`parse` reverses
that, so ``chain[0]`` is the exception that reached the top.

Exception groups (3.11) are drawn in boxes::

      + Exception Group Traceback (most recent call last):
      |   File "/app/x.py", line 3, in <module>
      | ExceptionGroup: checkout failed (2 sub-exceptions)
      +-+---------------- 1 ----------------
        | ValueError: bad quantity
        +---------------- 2 ----------------
        | ...

A group takes its place in the chain; its members go to ``Trace.related`` with
:attr:`Relation.GROUP`, each followed by its own cause chain (with CAUSE or
CONTEXT relations), nested groups flattened depth first.

JSON loggers that keep a traceback's parts rather than its text get it back
from :func:`traceback_from_frames` and :func:`traceback_from_dicts` (see
:mod:`.structured`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any

from logship.records import ExceptionInfo, Frame, Relation, Trace

from ._lazy import LazyPattern
from ._limits import MAX_EXCEPTIONS, cap_chain, cap_frames

MARKER = r"^[ |+]*(?:Exception Group )?Traceback \(most recent call last\):"

MAX_MESSAGE_LINES = 200
MAX_GROUP_DEPTH = 12  # Python itself stops drawing nested groups at depth 10

_HEADER = LazyPattern(r"(?:Exception Group )?Traceback \(most recent call last\):\s*$")
_BOXED_GROUP_HEADER = LazyPattern(r"( *)\+ Exception Group Traceback \(most recent call last\):")
# loguru marks the frame that caught the exception with "> File" and puts
# blank lines between frames.
_FRAME = LazyPattern(r'(?:  |> )File "(.*)", line (\d+)(?:, in (.*))?$')
_REPEATED = LazyPattern(r"  \[Previous line repeated (\d+) more times?\]")
# A type is a dotted name; a class defined in a function prints "f.<locals>.Name".
_EXCEPTION_LINE = LazyPattern(r"([A-Za-z_][\w.]*(?:<locals>\.[\w.]*)*)(?:: (.*))?$")
_CAUSE_LINE = "The above exception was the direct cause of the following exception:"
_CONTEXT_LINE = "During handling of the above exception, another exception occurred:"
_RELATION_LINES = {_CAUSE_LINE: Relation.CAUSE, _CONTEXT_LINE: Relation.CONTEXT}
_PACKAGE_PATH = LazyPattern(r"(?:site-packages|dist-packages)/(.+?)\.py$")
_STDLIB_PATH = LazyPattern(r"lib/python\d[\d.]*/(.+?)\.py$")
_NOT_IN_APP = LazyPattern(r"site-packages|dist-packages|/lib/python\d|^<frozen ")


@dataclass(slots=True)
class _Node:
    """One exception while parsing: mutable until the chain is assembled."""

    info: ExceptionInfo
    relation_to_next: Relation | None = None  # how it relates to the exception printed after it
    members: list[list[_Node]] = field(default_factory=list)  # group members, each a chain


TRACEBACK_HEADER = "Traceback (most recent call last):"


def parse(text: str) -> Trace | None:
    """The Python traceback in ``text``, or None when there is none."""
    # Every traceback holds its header, which _first_traceback looks for line by
    # line: a text without it (most, in a batch) is turned away unsplit.
    if TRACEBACK_HEADER not in text:
        return None
    return _parse(text)


def _parse(text: str) -> Trace | None:
    lines = text.splitlines()
    start = _first_traceback(lines)
    if start is None:
        return None
    nodes = _parse_chain(lines, start, 0)  # recursion is bounded by MAX_GROUP_DEPTH
    if not nodes:
        return None
    chain = _assemble(nodes)
    related: list[ExceptionInfo] = []
    for node in nodes:
        _collect_members(node, related, 0)
    message = "\n".join(line.strip() for line in lines[:start] if line.strip())
    return Trace(
        language="python",
        chain=cap_chain(chain),
        related=tuple(related[:MAX_EXCEPTIONS]),
        message=message[:2000],
    )


def _first_traceback(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if _HEADER.match(line) or _BOXED_GROUP_HEADER.match(line):
            return _back_to_unraised(lines, index)
    return None


def _back_to_unraised(lines: list[str], index: int) -> int:
    """Step back over causes printed without a traceback (``raise X from Y()``, Y unraised).

    Such a cause is only its ``Type: message`` line, then a blank line and a
    relation line above the first header. Its message is taken as one line.
    """
    while (
        index >= 4
        and not lines[index - 1].strip()
        and lines[index - 2].strip() in _RELATION_LINES
        and not lines[index - 3].strip()
        and _EXCEPTION_LINE.match(lines[index - 4])
    ):
        index -= 4
    return index


def _parse_chain(lines: list[str], index: int, depth: int) -> list[_Node]:
    """The exceptions of one chain, in printed order (root cause first)."""
    nodes: list[_Node] = []
    end = len(lines)
    while index < end:
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        relation = _RELATION_LINES.get(line.strip())
        if relation is not None:
            if nodes:
                nodes[-1].relation_to_next = relation
            index += 1
            continue
        boxed = _BOXED_GROUP_HEADER.match(line)
        if boxed:
            column = len(boxed.group(1))
            stop = _box_end(lines, index + 1, column)
            inner = _unbox(lines[index:stop], column)
            if depth < MAX_GROUP_DEPTH:
                # Unboxed, the group reads like a member that is a group: one node.
                nodes.extend(_parse_chain(inner, 0, depth + 1)[:1])
            index = stop
            continue
        node, index = _parse_exception(lines, index, depth)
        if node is None:
            break
        nodes.append(node)
    return nodes


def _parse_exception(lines: list[str], index: int, depth: int) -> tuple[_Node | None, int]:
    """One exception: optional header and frames, the type line, the message, group members."""
    frames: list[Frame] = []
    omitted = 0
    end = len(lines)
    if _HEADER.match(lines[index]):
        index += 1
        while index < end:
            line = lines[index]
            frame = _FRAME.match(line)
            if frame:
                frames.append(_frame(frame.group(1), frame.group(2), frame.group(3)))
            else:
                repeated = _REPEATED.match(line)
                if repeated:
                    omitted += int(repeated.group(1))
                elif line.strip() and not line.startswith("  "):
                    break  # source lines and carets are indented; the type line is not
            index += 1
    if index >= end:
        return None, index
    head = _EXCEPTION_LINE.match(lines[index])
    if head is None:
        return None, index
    message_lines = [head.group(2) or ""]
    index += 1
    while index < end and len(message_lines) < MAX_MESSAGE_LINES:
        line = lines[index]
        if _HEADER.match(line) or line.startswith("+-+") or _BOXED_GROUP_HEADER.match(line):
            break
        if line.strip() in _RELATION_LINES:
            break
        message_lines.append(line)
        index += 1
    kept, cut = cap_frames(frames)
    node = _Node(
        ExceptionInfo(
            type=head.group(1),
            message="\n".join(message_lines).strip("\n"),
            frames=kept,
            frames_omitted=omitted + cut,
        )
    )
    if index < end and lines[index].startswith("+-+"):
        node.members, index = _parse_members(lines, index, depth)
    return node, index


def _parse_members(lines: list[str], index: int, depth: int) -> tuple[list[list[_Node]], int]:
    """Members of a group whose box starts at ``lines[index]`` ("+-+---- 1 ----")."""
    stop = _box_end(lines, index + 1, 2)
    texts: list[list[str]] = []
    current: list[str] = []
    for line in lines[index + 1 : stop]:
        if line.startswith("  +-") and not line.startswith("  +-+"):
            if current:
                texts.append(current)
            current = []  # a separator ("+---- 2 ----") or the closing rule
        else:
            current.append(line)
    if current:
        texts.append(current)
    chains: list[list[_Node]] = []
    if depth < MAX_GROUP_DEPTH:
        for member in texts:
            chain = _parse_chain(_unbox(member, 2), 0, depth + 1)
            if chain:
                chains.append(chain)
    return chains, stop


def _box_end(lines: list[str], index: int, column: int) -> int:
    """The index after the last line drawn in a box whose rule is at ``column``."""
    end = len(lines)
    while index < end:
        line = lines[index]
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) < column or stripped[:1] not in ("|", "+"):
            break
        index += 1
    return index


def _unbox(lines: list[str], column: int) -> list[str]:
    """Remove one level of box drawing: ``"  | text"`` becomes ``"text"``."""
    out: list[str] = []
    for line in lines:
        rest = line[column:]
        if rest.startswith(("|", "+ Exception Group Traceback")):
            out.append(rest[2:])
        else:
            out.append(rest)
    return out


def _assemble(nodes: list[_Node]) -> tuple[ExceptionInfo, ...]:
    """Printed order (root first) to chain order (outermost first) with relations."""
    chain: list[ExceptionInfo] = []
    for position, node in enumerate(reversed(nodes)):
        relation = node.relation_to_next if position else None
        info = node.info
        # replace() is slow, and most chains are one exception that has no relation.
        chain.append(info if info.relation is relation else replace(info, relation=relation))
    return tuple(chain)


def _collect_members(node: _Node, out: list[ExceptionInfo], depth: int) -> None:
    if depth > MAX_GROUP_DEPTH:
        return
    for member in node.members:
        for position, info in enumerate(_assemble(member)):
            out.append(replace(info, relation=Relation.GROUP) if position == 0 else info)
        for inner in member:
            _collect_members(inner, out, depth + 1)


@functools.lru_cache(maxsize=4096)
def _frame(filename: str, lineno: str, function: str | None) -> Frame:
    """One frame (cached: a service's errors pass through the same frames again and again)."""
    return Frame(
        function=function or "",
        module=_module(filename),
        filename=filename,
        lineno=int(lineno),
        in_app=not _NOT_IN_APP.search(filename),
    )


def _module(filename: str) -> str:
    """The module a file holds: exact for libraries, the file's stem for application code."""
    library = _PACKAGE_PATH.search(filename) or _STDLIB_PATH.search(filename)
    if library:
        dotted = library.group(1).replace("/", ".")
        return dotted.removesuffix(".__init__")
    if filename.startswith("<"):
        return ""
    path = filename.rsplit("/", 2)
    stem = path[-1].removesuffix(".py")
    if stem == "__init__" and len(path) > 1:
        return path[-2]
    return stem


def traceback_from_frames(frames: str, error_type: str, error_message: str) -> str:
    """ecs-logging keeps ``format_tb`` only: add back the header and the type line."""
    line = f"{error_type}: {error_message}" if error_message else error_type
    return f"{TRACEBACK_HEADER}\n{frames.rstrip()}\n{line}"


def traceback_from_dicts(exceptions: list[dict[str, Any]]) -> str:
    """The traceback Python would print for structlog's ``dict_tracebacks`` list."""
    blocks: list[str] = []
    for position, exc in enumerate(reversed(exceptions)):
        if position:
            # The exception just printed is the cause or the context of this one.
            inner = exceptions[len(exceptions) - position]
            blocks.append(_CAUSE_LINE if inner.get("is_cause") else _CONTEXT_LINE)
        lines = []
        frames = exc.get("frames")
        if isinstance(frames, list) and frames:
            lines.append(TRACEBACK_HEADER)
            for frame in frames:
                if isinstance(frame, dict):
                    filename = frame.get("filename", "")
                    lines.append(
                        f'  File "{filename}", line {frame.get("lineno", 0)}, '
                        f"in {frame.get('name', '')}"
                    )
        exc_type = str(exc.get("exc_type") or "Exception")
        value = str(exc.get("exc_value") or "")
        lines.append(f"{exc_type}: {value}" if value else exc_type)
        notes = exc.get("exc_notes")
        if isinstance(notes, list):
            lines.extend(str(note) for note in notes)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
