"""The line state machine: what a line looks like, and whether it continues the open entry."""

from __future__ import annotations

import re
from enum import IntEnum


class State(IntEnum):
    """Where a stream's open entry is, as far as the next line is concerned."""

    NONE = 0  # no open entry
    LOG = 1  # one log line (or one unrecognised line) so far
    TRACE = 2  # inside indented / Java / Node / .NET trace lines
    PY_TB = 3  # Python frames after "Traceback (most recent call last):"
    PY_EXC = 4  # after Python's final "SomeError: msg" line
    PY_SEP = 5  # a blank line or "The above exception ..." between chained tracebacks
    CARET = 6  # Node's uncaught "    ^" marker: a blank line and the error follow
    GO = 7  # after Go's "panic:": unindented function lines belong to it
    JUL = 8  # java.util.logging's date line: its "SEVERE: msg" line follows
    RUBY = 9  # after Ruby's "file.rb:12:in 'm': msg (Type)": message lines may follow
    GO_STACK = 10  # after Go's "goroutine 1 [running]:": its function lines, not a new panic
    DART = 11  # after Dart's "Unhandled exception:": the error's toString() lines, then frames


class LineKind(IntEnum):
    """What one line looks like, from the single precompiled alternation."""

    UNKNOWN = 0  # none of the shapes below
    START = 1  # a log prefix, a JSON object, a runtime's own "this is a crash" line
    GO_START = 2  # "panic: ...", "fatal error: ...", "runtime: ..."
    PY_TRACEBACK = 3  # "Traceback (most recent call last):", "  + Exception Group Traceback"
    PY_SEPARATOR = 4  # "The above exception was ...", "During handling of ..."
    CARET = 5  # "    ^" under a source line
    CONTINUATION = 6  # indented lines and the unindented shapes that only follow a trace
    HEADER = 7  # an exception header: "java.lang.X: msg", "TypeError: fetch failed"
    BLANK = 8
    GOROUTINE = 9  # Go's "goroutine 1 [running]:"
    JUL_DATE = 10  # java.util.logging SimpleFormatter: "Nov 24, 2026 10:23:08 AM cls method"
    RUBY_FRAME = 11  # Ruby's unindented "app.rb:12:in `m'" (headers, Logger backtraces)
    GO_FUNC = 12  # Go's unindented function line: "main.main()", "panic({0x4a..., 0x4b...})"
    FIELD = 13  # "sku: required": a line of a multi-line exception message
    TAGGED = 14  # Rails' TaggedLogging: "[<request uuid>] ..." continues a tagged message
    MONO_FATAL = (
        15  # Mono's "[ERROR] FATAL UNHANDLED EXCEPTION: ..." after its "Unhandled Exception:"
    )
    PY_GROUP_END = 16  # "    +------------------------------------": an exception group's bottom
    DART_UNHANDLED = 17  # the Dart VM's "Unhandled exception:" line


# The order matters: the indented Python group traceback and the caret line are
# indented, so they come before the generic indented continuation; log prefixes
# come before exception headers (``ERROR: x`` is a prefix, not a type).
_PATTERNS: tuple[tuple[LineKind, str], ...] = (
    (
        LineKind.PY_TRACEBACK,
        r"(?:[ \t]*\+ Exception Group )?Traceback \(most recent call last\):",
    ),
    (LineKind.CARET, r"[ \t]+[~^]+[ \t]*$"),
    (LineKind.JUL_DATE, r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M "),
    # Before START, whose .NET "Unhandled exception." alternative would take it.
    (LineKind.DART_UNHANDLED, r"Unhandled exception:$"),
    # Before START, which takes "[ERROR]" for a log prefix.
    (LineKind.MONO_FATAL, r"\[ERROR\] FATAL UNHANDLED EXCEPTION: "),
    (
        LineKind.START,
        "|".join(
            (
                r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}",  # ISO 8601, logback, python logging
                r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}",  # Go's log package
                r"\[\d{4}-\d{2}-\d{2}",  # [2024-05-01 12:00:00]
                r"\[?\d{2}:\d{2}:\d{2}[.,]?",  # logback %d{HH:mm:ss.SSS}
                r"\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:",  # Tomcat 01-May-2024 12:00:00
                r"[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}",  # syslog
                r"\[?(?:TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|ERR|CRITICAL|FATAL|SEVERE"
                r"|ALERT|EMERG(?:ENCY)?|PANIC|CONFIG|FINE|FINER|FINEST)\]?(?=[\s:|\]-])",
                r"(?:fail|crit|warn|info|dbug|trce): ",  # .NET console logger
                r"[DIWEFA], \[\d{4}-",  # Ruby Logger
                r"[IWEF]\d{4} \d{2}:",  # glog / klog
                r"(?:time|ts|level|lvl)=",  # logfmt
                r"\{\s*\"",  # a JSON object: structured logs carry their own trace
                r"Exception in thread \"",  # Java, uncaught
                r"Unhandled [eE]xception[.:]",  # .NET, uncaught
                r"PHP [A-Z][a-z]+(?: [a-z]+)*: ",  # PHP Fatal error:, PHP Warning:
            )
        ),
    ),
    (
        LineKind.TAGGED,
        r"\[[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\] ",
    ),
    (LineKind.GO_START, r"(?:panic|fatal error|runtime): "),
    # Go 1.23+ with GOTRACEBACK=system: "goroutine 1 gp=0xc000002380 m=0 mp=0x5c5e40 [running]:".
    (LineKind.GOROUTINE, r"goroutine \d+ (?:[a-z]+=\S+ )*\["),
    (LineKind.RUBY_FRAME, r"[\w./~-]*\.rb:\d+:in "),
    (
        LineKind.PY_SEPARATOR,
        r"The above exception was the direct cause of the following exception:"
        r"|During handling of the above exception, another exception occurred:",
    ),
    # An exception group's type lines are indented ("  | ExceptionGroup: x"), so only
    # its bottom border says the traceback is over.
    (LineKind.PY_GROUP_END, r"[ \t]+\+-+$"),
    (
        LineKind.CONTINUATION,
        "|".join(
            (
                r"[ \t]+\S",  # frames, "... N more", " ---> ", "[cause]:", "  | ", "  +-"
                r"Caused by: ",  # Java
                r"Suppressed: ",
                r"Wrapped by: ",  # logback's root-cause-first layout
                r"\.\.\. \d+ (?:more|common frames omitted)",
                r"Stack trace:",  # PHP
                r"#\d+ ",  # PHP frames, Dart frames
                r"<asynchronous suspension>$",  # Dart, between the frames of async calls
                r"Next (?:[\w\\]+\\)?[A-Z]\w*: ",  # PHP's chained exception
                r"Next exception '",  # PHP 5's
                r"> File \"",  # loguru marks the frame that caught the exception
                r"--- End of stack trace from previous location",  # .NET async
                r"\[stacktrace\]$",  # Monolog's LineFormatter (Laravel)
                r"\[previous exception\] ",
                r"\"\}\s*$",  # the end of Monolog's JSON context around the stack trace
                r"created by ",  # Go
                r"Node\.js v\d",  # Node's trailer after an uncaught error
                r"\}[\s,;)]*$",  # the end of util.inspect's error properties block
            )
        ),
    ),
    (
        LineKind.HEADER,
        r"(?:[a-zA-Z_$][\w$]*\.)+[A-Z][\w$]*(?::\s|\s*$)"  # java.lang.X: msg, com.shop.Y
        r"|[\w$]*(?:Error|Exception|Throwable)(?: \[[\w-]+\])?(?::\s|\s*$)"  # TypeError: x
        # Rails' report: "ActiveRecord::RecordNotFound (msg):", "GatewayError (msg):"
        r"|(?:[A-Z]\w*::)+[A-Z]\w* \(.*\):$|[A-Z]\w*(?:Error|Exception) \(.*\):$"
        # Dart's core errors, whose toString() does not start with the type's name
        r"|Bad state: |Invalid argument|RangeError \(|Unsupported operation: "
        r"|Null check operator used on a null value$|type '.*' is not a subtype of type '"
        r"|Instance of '[^']+'$",
    ),
    (LineKind.BLANK, r"\s*$"),
    (
        LineKind.GO_FUNC,
        r"(?:[\w.~-]+/)*[\w~-]+\.[^\s(]*\(.*\)$|panic\(.*\)$"
        r"|\.\.\.\d* ?(?:additional )?frames elided"
        r"|exit status \d+$",  # "go run" reports the crashed program's exit
    ),
    (LineKind.FIELD, r"[\w.\[\]'\"-]+: \S"),
)

_LINE = re.compile("|".join(f"(?P<k{kind.value}>{pattern})" for kind, pattern in _PATTERNS))
_KIND_BY_GROUP: dict[str | None, LineKind] = {
    **{f"k{kind.value}": kind for kind, _ in _PATTERNS},
    None: LineKind.UNKNOWN,
}

# java.util.logging's second line, after its date line.
_JUL_LEVEL = re.compile(r"(?:SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): ")

# The first level word of a log line: a trace opener continues it only at WARN
# or above (group 1); at INFO and below (group 2) the trace is a separate entry.
_LEVEL_WORD = re.compile(
    r"(?i)\b(?:(warn(?:ing)?|err(?:or)?|fail|crit(?:ical)?|fatal|severe|panic|alert|"
    r"emerg(?:ency)?|exception)|(trace|debug|dbug|trce|info|notice|fine|finer|finest|"
    r"config|verbose))\b|^[EFW], \["
)
_LEVEL_SCAN = 120  # the level sits in the prefix; the message may say "error" anyway
# Lines without a log prefix that announce the trace below them: Django's
# django.request message under its default handler (no format, no level).
_ANNOUNCES_TRACE = ("Internal Server Error: ",)
# Crash reports a runtime prints with a blank line of its own before them: Mono's
# "\nUnhandled Exception:\n" and PHP's display_errors ("\nFatal error: Uncaught ...").
# The blank lines right before one belong to it, not to the entry they follow.
_CLAIMS_BLANK_LINES = re.compile(
    r"Unhandled Exception:|(?:Fatal error|Parse error|(?:Recoverable|Catchable) fatal error): "
)


def classify(line: str) -> LineKind:
    """The shape of ``line``: one match of the precompiled alternation."""
    match = _LINE.match(line)
    return _KIND_BY_GROUP[match.lastgroup] if match else LineKind.UNKNOWN


def starts_entry(line: str) -> bool:
    """Whether ``line`` begins an entry whatever came before it.

    A log prefix, a JSON object, a runtime's crash line (START) or
    java.util.logging's date line never continue the open entry, so the state
    after them does not depend on what came before: the assembler can start
    on them. The exceptions: JUL's "SEVERE: msg" line under its date line, and
    a crash report that takes the blank lines before it (:func:`claims_blank_lines`).
    """
    kind = classify(line)
    if kind is LineKind.START:
        return _JUL_LEVEL.match(line) is None and _CLAIMS_BLANK_LINES.match(line) is None
    return kind in (LineKind.JUL_DATE, LineKind.DART_UNHANDLED)


def claims_blank_lines(line: str) -> bool:
    """Whether ``line`` opens a crash report that owns the blank lines right before it."""
    return _CLAIMS_BLANK_LINES.match(line) is not None


def repeats_message(line: str, exception_line: str) -> bool:
    """Whether ``line`` is the message of a traceback's final ``Type: message`` line, again.

    A program that prints ``str(exc)`` after the traceback (gunicorn's boot
    failure) writes it on the next line; it belongs to the traceback.
    """
    message = exception_line.partition(": ")[2].strip()
    return bool(message) and line.strip() == message


def _warn_or_above(first_line: str) -> bool:
    """Whether a log line's level says a trace may follow it (WARN and above)."""
    if first_line.startswith(_ANNOUNCES_TRACE):
        return True
    if _LINE.match(first_line) is None or first_line.startswith("{"):
        return False  # not a log prefix, or a JSON entry (complete in itself)
    match = _LEVEL_WORD.search(first_line, 0, _LEVEL_SCAN)
    return match is not None and match.group(2) is None


def step(state: State, kind: LineKind, log_line: str, line: str = "") -> tuple[bool, State]:
    """Whether ``line``, of ``kind``, continues the open entry, and the stream's next state.

    ``log_line`` is the open entry's last line, read only when a trace opener
    follows a log line (state ``LOG``): it joins only at WARN and above; and
    when a plain line follows a Python traceback (:func:`repeats_message`).
    ``line`` itself is read only in that last case.
    """
    is_open = state is not State.NONE
    if kind is LineKind.MONO_FATAL:
        # Mono prints an unhandled exception twice: "Unhandled Exception:" and
        # the trace, then "[ERROR] FATAL UNHANDLED EXCEPTION:" and the trace again.
        return state is State.TRACE, State.TRACE
    if kind is LineKind.TAGGED:
        return is_open, State.TRACE if is_open else State.LOG
    if kind is LineKind.DART_UNHANDLED:
        return False, State.DART
    if state is State.DART and kind not in (LineKind.START, LineKind.JUL_DATE):
        # The thrown object's toString() may span any lines (FormatException's
        # source and caret, NoSuchMethodError's "Receiver:"): all of it up to
        # the first frame belongs to the crash.
        return True, State.TRACE if kind is LineKind.CONTINUATION else state
    if kind is LineKind.START:
        if state is State.JUL and _JUL_LEVEL.match(log_line) is None:
            return True, State.LOG  # "SEVERE: msg" under its date line
        return False, State.LOG
    if kind is LineKind.CONTINUATION:
        # After a caret, an indented line is Ruby's frame under error_highlight's
        # "^^^^" (Node prints a blank line after its caret, never a frame).
        if state in (State.LOG, State.PY_SEP, State.NONE, State.JUL, State.RUBY, State.CARET):
            return is_open, State.TRACE
        return True, state
    if kind is LineKind.PY_GROUP_END:
        if state is State.PY_TB:
            return True, State.PY_EXC
        return is_open, state if is_open else State.TRACE
    if kind is LineKind.BLANK:
        if not is_open:
            return False, State.LOG
        return True, State.PY_SEP if state is State.PY_EXC else state
    if kind is LineKind.PY_TRACEBACK:
        joins = state is State.PY_SEP or (state is State.LOG and _warn_or_above(log_line))
        return joins, State.PY_TB
    if kind is LineKind.PY_SEPARATOR:
        return is_open, State.PY_SEP
    if kind is LineKind.CARET:
        if state in (State.PY_TB, State.PY_EXC):
            return True, state  # Python 3.11's "^^^^" under a frame's source line
        return is_open, State.CARET if is_open else State.LOG
    if kind is LineKind.HEADER:
        if state is State.PY_TB:
            return True, State.PY_EXC
        if state is State.JUL:
            return True, State.TRACE  # "java.lang.X: msg" right under the date line
        if state in (State.CARET, State.GO, State.PY_EXC, State.RUBY):
            return True, State.TRACE if state is State.CARET else state
        if state is State.LOG and _warn_or_above(log_line):
            return True, State.TRACE
        return False, State.TRACE
    if kind is LineKind.GO_START:
        # One crash report: "runtime: ..." lines, then "fatal error: ...". Once a
        # goroutine's stack has begun, "panic:" is the next crash (a restarted
        # process), not part of this one.
        return state is State.GO, State.GO
    if kind is LineKind.GOROUTINE:
        return is_open, State.GO_STACK
    if kind is LineKind.JUL_DATE:
        return False, State.JUL
    if kind is LineKind.RUBY_FRAME:
        # A Logger backtrace line, a cause's header after "\tfrom" frames, or
        # an uncaught error's first line.
        joins = state in (State.TRACE, State.RUBY) or (
            state is State.LOG and _warn_or_above(log_line)
        )
        return joins, State.RUBY
    # UNKNOWN, GO_FUNC, FIELD: Python's final line ("KeyError: 'x'", "mod.Custom:
    # msg") and the following "key: value" lines of a multi-line exception
    # message, Ruby's message lines, Go's function lines, the lines between
    # "panic:" and the first goroutine, Node's "[UnhandledPromiseRejection:
    # ...]"; anything else starts an entry: a plain line printed after a Python
    # or Go trace (a supervisor's, the restarted process's) is not part of it.
    if state is State.PY_TB:
        return True, State.PY_EXC
    if state is State.PY_EXC:
        if kind is LineKind.FIELD:
            return True, state
        return repeats_message(line, log_line), State.LOG
    if state is State.GO_STACK:
        return kind is LineKind.GO_FUNC, state if kind is LineKind.GO_FUNC else State.LOG
    if state in (State.GO, State.RUBY):
        return True, state
    if state is State.CARET:
        return True, State.TRACE
    return False, State.LOG


_READS_LOG_LINE = frozenset({LineKind.HEADER, LineKind.PY_TRACEBACK, LineKind.RUBY_FRAME})
