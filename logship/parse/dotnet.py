""".NET stack traces: ``Exception.ToString()`` as CoreCLR (.NET Core / .NET 5+)
and Mono / .NET Framework print it.

``ToString()`` writes the outer exception's header, then the inner exception's
whole ``ToString()`` after `` ---> `` (on a new line in CoreCLR, on the same line
in .NET Framework and Mono), then ``--- End of inner exception stack trace ---``
and the outer exception's own frames. So the headers come outermost first and
the frame blocks innermost first::

    Unhandled exception. System.InvalidOperationException: Failed to place order 123
     ---> System.Net.Http.HttpRequestException: Connection refused (127.0.0.1:5002)
     ---> System.Net.Sockets.SocketException (111): Connection refused
       at System.Net.Sockets.Socket....           <- the SocketException's frames
       --- End of inner exception stack trace ---
       at System.Net.Http.HttpConnectionPool....  <- the HttpRequestException's
       --- End of inner exception stack trace ---
       at Shop.Orders.OrderService.PlaceOrder(Int64 orderId) in /src/OrderService.cs:line 42

A chain longer than :data:`~._limits.MAX_EXCEPTIONS` keeps its outermost and
innermost halves; the frame blocks of the exceptions between are read past.

Frame lines: CoreCLR ``at Ns.Type.Method(Type name) in /path/File.cs:line 42``,
Mono ``at Ns.Type.Method (Type name) [0x00012] in /path/File.cs:42``. A frame is
told from a Java or Node.js one by its parameter list: empty, or typed names
with a space, never a ``File.java:42`` or ``file.js:1:2`` location.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from logship.records import ExceptionInfo, Frame, Relation, Trace

from ._lazy import LazyPattern
from ._limits import FrameWindow, chain_window
from .line import message_before

__all__ = ["MARKER", "parse"]

# A frame line (both runtimes), an inner-exception arrow, or the end-of-inner line.
MARKER = (
    r"^[ \t]*at [^\s(]+ ?\((?:\)|[^)\n]* )|^[ \t]*--- End of inner exception stack trace"
    r"|^[ \t]*---> [\w.]+"
)

_MAX_MESSAGE_LINES = 50

_FRAME = LazyPattern(r"at (?P<call>[^\s(]+) ?\((?P<args>[^():]*)\)(?P<rest>.*)$")
# CoreCLR: " in /src/File.cs:line 42"; Mono: " [0x0001c] in /src/File.cs:42" or "in <mvid>:0".
_LOCATION = LazyPattern(
    r"\s*(?:\[0x[0-9a-fA-F]+\]|<0x[^>]*>)?(?: in (?P<file>.+?):(?:line )?(?P<line>\d+))?\s*$"
)
_HEADER = LazyPattern(r"(?P<type>[A-Za-z_][\w.`+]*)(?: \([^)]*\))?(?::(?P<message>.*))?$")
_HEADER_PREFIXES = ("Unhandled exception. ", "[ERROR] FATAL UNHANDLED EXCEPTION: ")
_ASYNC_STATE_MACHINE = LazyPattern(r"(?P<outer>.*)\.<(?P<method>[^>]+)>d__\d+$")
_INNER_ARROW = " ---> "
_END_OF_INNER = "--- End of inner exception stack trace ---"
# "--- End of stack trace from previous location [where exception was thrown] ---"
_ASYNC_BOUNDARY = "--- End of stack trace from previous location"

NOT_IN_APP_PREFIXES: tuple[str, ...] = (
    "System.",
    "Microsoft.",
    "Mono.",
    "Newtonsoft.",
    "Npgsql.",
    "Grpc.",
    "Polly.",
    "Amazon.",
    "AWSSDK.",
    "Dapper.",
    "StackExchange.",
    "Serilog.",
    "NLog.",
    "MassTransit.",
    "MediatR.",
    "Swashbuckle.",
    "Castle.",
    "Autofac.",
    "lambda_method",  # expression-tree delegates compiled by ASP.NET Core
    "(wrapper",  # Mono's runtime wrappers
)


@dataclass(slots=True)
class _Building:
    type: str
    message_lines: list[str]
    frames: FrameWindow[tuple[str, str, str]] = field(default_factory=FrameWindow)

    def freeze(self, relation: Relation | None) -> ExceptionInfo:
        printed = self.frames.kept()  # the throwing frame is printed first
        return ExceptionInfo(
            type=self.type,
            message="\n".join(self.message_lines).strip(),
            frames=tuple(_frame(*parts) for parts in reversed(printed)),
            relation=relation,
            frames_omitted=self.frames.omitted,
        )


def parse(text: str) -> Trace | None:
    """The .NET trace in ``text``, or None when there is none."""
    lines = text.splitlines()
    start = _find_header(lines)
    if start is None:
        return None
    # Both ends of an over-long chain are kept: the root cause's header is the last.
    headers: FrameWindow[_Building] = chain_window()
    _add_headers(headers, _strip_header_prefix(lines[start].strip()))
    index = start + 1
    # The header part: inner-exception arrows and message continuation lines.
    while index < len(lines):
        body = lines[index].strip()
        if _frame_parts(body) is not None or body.startswith(_END_OF_INNER):
            break
        if body.startswith(_INNER_ARROW.strip() + " "):
            if not _add_headers(headers, body[len(_INNER_ARROW) - 1 :]):
                break
        elif len(headers.latest.message_lines) < _MAX_MESSAGE_LINES:
            headers.latest.message_lines.append(lines[index].rstrip())
        else:
            break
        index += 1
    chain = headers.kept()
    # The frame part: blocks innermost first, each closed by "--- End of inner ...".
    owner = headers.count - 1  # counts every header, kept or not
    frame_lines = 0
    while index < len(lines):
        body = lines[index].strip()
        index += 1
        parts = _frame_parts(body)
        if parts is not None:
            frame_lines += 1
            position = _kept_position(owner, headers.count, len(chain))
            if position is not None:
                chain[position].frames.add(parts)
        elif body.startswith(_END_OF_INNER):
            owner = max(owner - 1, 0)
        elif not body.startswith(_ASYNC_BOUNDARY):
            # The trace has ended; AggregateException's "---> (Inner Exception #1)"
            # repeats inner exceptions already read, so it ends here too.
            break
    if not frame_lines:
        return None  # a header-like line with no stack: not a trace
    return Trace(
        language="dotnet",
        chain=tuple(
            building.freeze(None if position == 0 else Relation.INNER)
            for position, building in enumerate(chain)
        ),
        message=message_before(lines[:start], skip=_is_mono_banner),
    )


def _find_header(lines: list[str]) -> int | None:
    """The first ``Ns.TypeException: message`` line before the first frame."""
    candidate: int | None = None
    for index, line in enumerate(lines):
        body = line.strip()
        if candidate is not None and (
            _frame_parts(body) is not None or body.startswith((_END_OF_INNER, "---> "))
        ):
            return candidate
        if candidate is None and _header_type(_strip_header_prefix(body)):
            candidate = index
    return None


def _strip_header_prefix(body: str) -> str:
    for prefix in _HEADER_PREFIXES:
        if body.startswith(prefix):
            return body[len(prefix) :]
    return body


def _header_type(header: str) -> str:
    """The exception type a header line starts with, or ""."""
    first = header.split(_INNER_ARROW, 1)[0]
    match = _HEADER.match(first)
    if match is None:
        return ""
    exc_type = match["type"]
    return exc_type if "." in exc_type or exc_type.endswith("Exception") else ""


def _add_headers(headers: FrameWindow[_Building], header: str) -> int:
    """Add the exceptions of one header line (inline " ---> " arrows split it).

    Returns how many headers the line held.
    """
    found = 0
    for position, part in enumerate(header.split(_INNER_ARROW)):
        match = _HEADER.match(part)
        exc_type = _header_type(part) if match else ""
        if match is not None and exc_type:
            found += 1
            headers.add(_Building(exc_type, [(match["message"] or "").strip()]))
        elif position == 0:
            return 0  # not a header: "---> (Inner Exception #1) ..." say
        else:
            headers.latest.message_lines[-1] += _INNER_ARROW + part  # a message holding " ---> "
    return found


def _kept_position(index: int, count: int, kept: int) -> int | None:
    """Where the ``index``-th of ``count`` headers is among the ``kept`` ones, or None.

    The window keeps the first and the last ``kept // 2`` headers of a longer chain.
    """
    if count <= kept:
        return index
    half = kept // 2
    if index < half:
        return index
    if index >= count - half:
        return index - (count - kept)
    return None  # a dropped exception: its frames are read and let go


def _frame_parts(body: str) -> tuple[str, str, str] | None:
    """(call, file, line) of a .NET frame line, or None if ``body`` is not one."""
    if not body.startswith("at "):
        return None
    match = _FRAME.match(body)
    if match is None:
        return None
    args, rest = match["args"], match["rest"]
    location = _LOCATION.match(rest)
    if location is None:
        return None
    if args and (" " not in args or args in ("Native Method", "Unknown Source")) and not rest:
        return None  # a Java frame: "(Foo.java)", "(Native Method)"
    return match["call"], location["file"] or "", location["line"] or ""


def _frame(call: str, filename: str, line: str) -> Frame:
    module, _, function = call.rpartition(".")
    state_machine = _ASYNC_STATE_MACHINE.match(module) if function == "MoveNext" else None
    if state_machine is not None:
        # Async methods run in compiler-made "<PlaceOrder>d__5.MoveNext": name the method.
        module, function = state_machine["outer"], state_machine["method"]
    if filename.startswith("<"):  # Mono without symbols: "<3588d5c5...>:0"
        filename, line = "", ""
    return Frame(
        function=function,
        module=module,
        filename=filename,
        lineno=int(line) if line and filename else None,
        in_app=is_in_app(module or function),
    )


def is_in_app(type_name: str) -> bool:
    """Whether a frame of ``type_name`` is the service's code (a namespace heuristic)."""
    return type_name != "System" and not type_name.startswith(NOT_IN_APP_PREFIXES)


def _is_mono_banner(line: str) -> bool:
    return line.strip() == "Unhandled Exception:"  # Mono's line before the trace
