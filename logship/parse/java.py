"""Java (and Kotlin, Scala, Groovy: any JVM) stack traces.

Reads what ``Throwable.printStackTrace()`` prints and what logback's and
log4j2's throwable converters print after a log line::

    2024-05-01 12:00:00.123 ERROR [main] c.e.OrderController - Failed to place order 123
    java.lang.RuntimeException: Failed to place order 123
    \tat com.example.OrderService.place(OrderService.java:44) ~[app.jar:1.0]
    \tSuppressed: java.io.IOException: close failed
    \t\tat ...
    Caused by: java.net.SocketTimeoutException: Read timed out
    \tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)
    \t... 2 common frames omitted

Nesting follows indentation, as the JVM prints it: a ``Suppressed:`` block is
indented one step further than the exception that carries it, and a
``Caused by:`` at that depth belongs to the suppressed exception. The
exceptions of the main chain go to :attr:`Trace.chain`; every suppressed one,
followed by its own causes, goes to :attr:`Trace.related`. logback's
root-cause-first layout (``%rEx``: the root first, then ``Wrapped by:``) is
turned around to the usual outermost-first order.

One pass over the lines, no regex that can backtrack across lines; each
exception keeps its first and last :data:`~._limits.MAX_FRAMES_KEPT` frames and counts
the rest in ``frames_omitted``. A chain longer than :data:`~._limits.MAX_EXCEPTIONS`
(a retry loop wrapping its last failure) keeps its outermost and innermost halves,
so the root cause is still last.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from logship.records import ExceptionInfo, Frame, Relation, Trace

from ._lazy import LazyPattern
from ._limits import MAX_EXCEPTIONS, FrameWindow, chain_window
from .line import message_before

__all__ = ["MARKER", "parse"]

# A JVM frame line, a "Caused by:" line, or the uncaught-exception header.
MARKER = r'^[ \t]*at [\w$.<>/@-]+\(|^[ \t]*Caused by: |^Exception in thread "'

# Lines of one exception message (messages can span lines: SQL errors, say).
_MAX_MESSAGE_LINES = 50

# "at [loader/][module@version/]pkg.Class.method(Source.java:42)" and logback's
# or log4j2's packaging suffix (" ~[app.jar:1.0]", " [?:?]"). The source is a
# file, "Native Method" or "Unknown Source": never empty and never holding a
# space otherwise, which tells it from a .NET frame's "(String name)".
_FRAME = LazyPattern(
    r"at (?P<call>[^\s(]+)\((?P<source>Native Method|Unknown Source|[^()\s]+)\)"
    r"(?:\s+~?\[[^\]]*\])?\s*$"
)
# "... 3 more", "... 3 common frames omitted" (logback), "... 3 more frames".
_MORE = LazyPattern(r"\.\.\. (\d+) (?:more|common frames omitted)")
_THREAD_PREFIX = LazyPattern(r'Exception in thread "[^"\n]*" ')
# A java.util.logging date line that carries the exception on the same line
# ("Jul 09, 2015 3:23:29 PM com.x.MakeLog: RuntimeException: msg", the shape in
# fluent-plugin-detect-exceptions' test suite): the date and the class go.
_JUL_HEAD = LazyPattern(
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4} "
    r"\d{1,2}:\d{2}:\d{2} [AP]M [\w.$]+(?: [\w$<>]+)?: "
)
_TYPE = LazyPattern(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
_TYPE_SUFFIXES = ("Exception", "Error", "Throwable", "Exit", "Failure", "Fault")

# Frames from these packages are the runtime's and libraries', not the service's.
NOT_IN_APP_PREFIXES: tuple[str, ...] = (
    "java.",
    "javax.",
    "jakarta.",
    "jdk.",
    "sun.",
    "com.sun.",
    "kotlin.",
    "kotlinx.",
    "scala.",
    "akka.",
    "groovy.",
    "org.codehaus.groovy.",
    "org.springframework.",
    "org.apache.",
    "org.eclipse.jetty.",
    "org.hibernate.",
    "org.jboss.",
    "org.postgresql.",
    "org.slf4j.",
    "ch.qos.logback.",
    "io.netty.",
    "io.grpc.",
    "io.micrometer.",
    "io.undertow.",
    "io.vertx.",
    "reactor.",
    "rx.",
    "io.reactivex.",
    "com.fasterxml.",
    "com.google.",
    "com.zaxxer.",
    "com.mysql.",
    "com.amazonaws.",
    "software.amazon.",
    "okhttp3.",
    "feign.",
    "net.bytebuddy.",
    "org.junit.",
    "_COROUTINE.",  # kotlinx.coroutines' stack-trace recovery marker
)


@dataclass(slots=True)
class _Building:
    """An exception while its lines are read (mutable; frozen into ExceptionInfo)."""

    type: str
    message_lines: list[str]
    relation: Relation | None
    frame_lines: FrameWindow[str] = field(default_factory=FrameWindow)
    more: int = 0

    def freeze(self) -> ExceptionInfo:
        printed = self.frame_lines.kept()  # the JVM prints the throwing frame first
        frames = tuple(_frame(line) for line in reversed(printed))
        return ExceptionInfo(
            type=self.type,
            message="\n".join(self.message_lines).strip(),
            frames=frames,
            relation=self.relation,
            frames_omitted=self.frame_lines.omitted + self.more,
        )


@dataclass(slots=True)
class _Nest:
    """An indentation level: the main chain, or one suppressed exception's chain."""

    indent: int
    related: bool  # its exceptions go to Trace.related


class _Reader:
    """The state of one pass over a trace's lines."""

    def __init__(self, header: str, indent: int) -> None:
        exc_type, message = _split_header(_THREAD_PREFIX.sub("", header, count=1))
        self.current = _Building(exc_type, [message], None)
        # Both ends of an over-long chain: the root cause is last, however deep.
        self.chain: FrameWindow[_Building] = chain_window()
        self.chain.add(self.current)
        self.related: list[_Building] = []
        self.nests = [_Nest(indent, related=False)]
        self.wrapped = False  # logback's %rEx: root cause first, outer ones "Wrapped by:"
        self.in_message = True  # lines right after a header continue its message
        self.has_stack = False  # a frame or "... N more" was read: this is a trace

    def read(self, raw: str) -> bool:
        """Take one line; False when the trace has ended before it."""
        body, indent = _strip(raw)
        if body.startswith("at "):
            if _FRAME.match(body):
                self.current.frame_lines.add(body)
                self.in_message = False
                self.has_stack = True
                return True
        elif body.startswith("..."):
            more = _MORE.match(body)
            if more:
                self.current.more += int(more.group(1))
                self.in_message = False
                self.has_stack = self.has_stack or self.current.more > 0
                return True
        else:
            kind, _, rest = body.partition(": ")
            if kind in ("Caused by", "Wrapped by", "Suppressed") and rest:
                return self._nested(kind, rest, indent)
        if self.in_message and len(self.current.message_lines) < _MAX_MESSAGE_LINES:
            self.current.message_lines.append(raw)
            return True
        return False  # a log line, a blank line after the frames, another trace

    def _nested(self, kind: str, rest: str, indent: int) -> bool:
        if rest.startswith("[CIRCULAR REFERENCE: "):
            # Throwable.printStackTrace marks a cause it already printed: the
            # chain ends at the exception before it, which stays the root cause.
            self.in_message = False
            return True
        nests = self.nests
        if kind == "Suppressed":
            while len(nests) > 1 and nests[-1].indent >= indent:
                nests.pop()
            nests.append(_Nest(indent, related=True))
            relation = Relation.SUPPRESSED
        else:
            while len(nests) > 1 and nests[-1].indent > indent:
                nests.pop()
            self.wrapped = self.wrapped or (kind == "Wrapped by" and not nests[-1].related)
            relation = Relation.CAUSE
        exc_type, message = _split_header(rest)
        self.current = _Building(exc_type, [message], relation)
        if not nests[-1].related:
            self.chain.add(self.current)
        elif len(self.related) < MAX_EXCEPTIONS:
            self.related.append(self.current)
        # Past the related limit the exception is still read, so that the main
        # chain's causes printed after it are found; it is just not kept.
        self.in_message = True
        return True

    def trace(self, message: str) -> Trace | None:
        chain = self.chain.kept()
        if self.wrapped:
            chain.reverse()
            for position, building in enumerate(chain):
                building.relation = Relation.CAUSE if position else None
        if not self.has_stack:
            return None  # a header-like line with no stack: not a trace
        return Trace(
            language="java",
            chain=tuple(building.freeze() for building in chain),
            related=tuple(building.freeze() for building in self.related),
            message=message,
        )


def parse(text: str) -> Trace | None:
    """The Java trace in ``text``, or None when there is none."""
    lines = text.splitlines()
    start = _find_header(lines)
    if start is None:
        return None
    reader = _Reader(*_strip(_JUL_HEAD.sub("", lines[start], count=1)))
    for raw in lines[start + 1 :]:
        if not reader.read(raw):
            break
    return reader.trace(message_before(lines[:start]))


def _strip(line: str) -> tuple[str, int]:
    body = line.lstrip(" \t")
    return body.rstrip(), len(line) - len(body)


def _find_header(lines: list[str]) -> int | None:
    """The index of the outermost exception's header line.

    That is the first line that reads as ``pkg.Type[: message]`` before the
    first frame; lines between it and the frame continue its message.
    """
    candidate: int | None = None
    for index, line in enumerate(lines):
        body, _ = _strip(line)
        if body.startswith("at ") and _FRAME.match(body) and candidate is not None:
            return candidate
        if body.startswith(("Caused by: ", "Wrapped by: ")) and candidate is not None:
            return candidate  # an outer exception printed without frames
        if candidate is None and _is_header(_JUL_HEAD.sub("", body, count=1)):
            candidate = index
    return None


def _is_header(body: str) -> bool:
    exc_type, _ = _split_header(_THREAD_PREFIX.sub("", body, count=1))
    return bool(exc_type) and ("." in exc_type or exc_type.endswith(_TYPE_SUFFIXES))


def _split_header(header: str) -> tuple[str, str]:
    """``"java.io.IOException: boom"`` -> (type, message); type "" if there is none."""
    match = _TYPE.match(header)
    if match is None:
        return "", header
    end = match.end()
    if end == len(header):
        return header, ""
    if header.startswith(":", end):
        return header[:end], header[end + 1 :].strip()
    return "", header


def _frame(line: str) -> Frame:
    match = _FRAME.match(line)
    if match is None:  # cannot happen: only matching lines are stored
        return Frame(function=line)
    # Drop the class loader and module ("app//", "java.base@17/"): the class is enough.
    call = match["call"].rpartition("/")[2]
    module, _, function = call.rpartition(".")
    filename, lineno = _source(match["source"])
    return Frame(
        function=function,
        module=module,
        filename=filename,
        lineno=lineno,
        in_app=is_in_app(module),
    )


def _source(source: str) -> tuple[str, int | None]:
    if source in ("Native Method", "Unknown Source"):
        return "", None
    filename, _, number = source.partition(":")
    lineno = int(number) if number.isdigit() else None
    return filename, lineno


def is_in_app(class_name: str) -> bool:
    """Whether a frame of ``class_name`` is the service's code (a package heuristic)."""
    return not class_name.startswith(NOT_IN_APP_PREFIXES)
