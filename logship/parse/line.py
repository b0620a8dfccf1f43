"""The log prefix of a plain-text line: level, logger, thread and message.

Every record's first line comes through here, so the work is one dispatch on
the first character and a few anchored, precompiled patterns, each of which
fails within a handful of characters on a line of another layout. Levels are
captured as words and checked against :data:`LEVEL_NAMES` in code rather than
spelled out in every pattern.

Recognised layouts (examples in ``tests/parse/test_line.py``):

- Spring Boot 2 and 3 (``... ERROR 1 --- [app] [thread] logger : msg``)
- logback / log4j2 defaults (``12:00:00.123 [thread] ERROR logger - msg``, also
  with the level before the thread and a full date)
- Python ``logging`` (``ERROR:root:msg``, ``<asctime> - name - LEVEL - msg``,
  ``<asctime> LEVEL [name] msg``)
- AWS Lambda runtimes (Python ``[ERROR]\\t<time>\\t<request id>\\tmsg``, Node
  ``<time>\\t<request id>\\tERROR\\tmsg``)
- Go's ``log`` package (``2024/05/01 12:00:00 msg``: no level) and ``slog``'s
  text handler, klog/glog (``E0501 12:00:00.123456 1 file.go:42] msg``)
- logfmt (``level=error msg="..."``), Ruby's ``Logger``, Monolog, gunicorn,
  NLog, Serilog, ASP.NET Core's console logger (``fail: Logger[0]``),
  java.util.logging's two-line ``SimpleFormatter`` (first line: no level)
- a bare level word (``ERROR ...``, ``SEVERE: ...``, ``[ERROR] ...``)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from ._lazy import LazyPattern

__all__ = [
    "LEVELS",
    "LEVEL_NAMES",
    "STAMP",
    "LinePrefix",
    "message_before",
    "normalize_level",
    "parse_head",
    "parse_prefix",
]

# Least to most severe; the parse stage compares positions in this tuple.
LEVELS: tuple[str, ...] = ("trace", "debug", "info", "warning", "error", "fatal")

# Every spelling of a level seen in the layouts above, upper-cased.
LEVEL_NAMES: dict[str, str] = {
    "TRACE": "trace",
    "TRC": "trace",
    "VERBOSE": "trace",  # Serilog
    "VRB": "trace",
    "FINEST": "debug",  # java.util.logging
    "FINER": "debug",
    "FINE": "debug",
    "DEBUG": "debug",
    "DBG": "debug",
    "CONFIG": "info",  # java.util.logging, between FINE and INFO
    "INFO": "info",
    "INF": "info",
    "INFORMATION": "info",  # Microsoft.Extensions.Logging
    "NOTICE": "info",  # syslog
    "WARN": "warning",
    "WARNING": "warning",
    "WRN": "warning",
    "ERROR": "error",
    "ERR": "error",
    "SEVERE": "error",  # java.util.logging
    "FATAL": "fatal",
    "FTL": "fatal",
    "CRITICAL": "fatal",
    "CRIT": "fatal",
    "PANIC": "fatal",  # logrus, zap
    "DPANIC": "fatal",  # zap
    "EMERG": "fatal",
    "EMERGENCY": "fatal",
    "ALERT": "fatal",
}

# Single letters: klog/glog's line head and Ruby Logger's first column.
_LETTER_LEVELS: dict[str, str] = {
    "T": "trace",
    "D": "debug",
    "I": "info",
    "W": "warning",
    "E": "error",
    "F": "fatal",
    "A": "fatal",  # Ruby's "ANY"
}

# ASP.NET Core's console logger writes four-letter lower-case levels.
_MS_CONSOLE_LEVELS: dict[str, str] = {
    "trce": "trace",
    "dbug": "debug",
    "info": "info",
    "warn": "warning",
    "fail": "error",
    "crit": "fatal",
}


# A NamedTuple rather than a frozen dataclass: as immutable, and built at
# import in a tenth of the time (this module is on every cold start's path).
class LinePrefix(NamedTuple):
    """What a line's log prefix says. ``level`` is one of :data:`LEVELS` or ""."""

    level: str
    logger: str
    message: str
    thread: str = ""


def normalize_level(name: str) -> str:
    """``WARN`` -> ``warning``, ``SEVERE`` -> ``error``...; "" for an unknown word."""
    return LEVEL_NAMES.get(name.upper(), "")


# Fragments shared by the patterns below.
_DATE_TIME = (
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
    r"(?:\s?(?:Z|[+-]\d{2}:?\d{2}|UTC))?"
)
_TIME = r"\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
# The timestamps log layouts begin with; the parse stage's fast path reads the same.
STAMP = rf"(?:{_DATE_TIME}|{_TIME})"
# Any spelling in LEVEL_NAMES, longest first so "INFORMATION" is not cut at "INFO";
# spelled into the patterns so that backtracking can skip a bracket that is not one.
_LEVEL = (
    r"(?P<level>(?i:"
    + "|".join(sorted(LEVEL_NAMES, key=len, reverse=True)).replace(".", r"\.")
    + r"))\b"
)

# Spring Boot: "<date> ERROR 1 --- [app] [thread] [correlation] logger : msg"; with
# Sleuth (Spring Boot 2) or Micrometer's documented level pattern, the level is
# followed by "[app,traceId,spanId]": per-request values, never a logger.
_SPRING = LazyPattern(
    rf"{_DATE_TIME}\s+{_LEVEL}\s+(?:\[[^\[\]]*\]\s+)?(?:\S+\s+)?---\s+"
    r"(?P<brackets>(?:\[[^\[\]]*\]\s+)+)(?P<logger>\S+)\s+:(?:\s(?P<message>.*))?$"
)
# logback and log4j2: "<time> [thread] LEVEL logger - msg" or "<time> LEVEL [thread] logger - msg".
_LOGBACK = LazyPattern(
    rf"{STAMP}\s+(?:\[(?P<thread>[^\]]*)\]\s+)?{_LEVEL}\s+"
    r"(?:\[(?P<thread2>[^\]]*)\]\s+)?(?P<logger>\S+)\s+-\s(?P<message>.*)$"
)
# Python: "%(asctime)s - %(name)s - %(levelname)s - %(message)s".
_PYTHON_DASHES = LazyPattern(
    rf"{_DATE_TIME}\s+-\s+(?P<logger>\S+)\s+-\s+{_LEVEL}\s+-\s(?P<message>.*)$"
)
# loguru's default: "<date> | LEVEL    | module:function:line - msg".
_LOGURU = LazyPattern(
    rf"{_DATE_TIME}\s+\|\s+{_LEVEL}\s*\|\s+(?P<logger>[^\s:]+):[^\s:]*:\d+\s+-\s(?P<message>.*)$"
)
# Python/log4j: "<date> LEVEL [name] msg".
_STAMP_LEVEL_BRACKET = LazyPattern(
    rf"{STAMP}\s+{_LEVEL}\s+\[(?P<logger>[^\]]*)\]:?\s+(?P<message>.*)$"
)
# NLog's default: "<date>|LEVEL|logger|msg".
_NLOG = LazyPattern(rf"{_DATE_TIME}\|{_LEVEL}\|(?P<logger>[^|]*)\|(?P<message>.*)$")
# The Node.js Lambda runtime: "<time>\t<request id>\tLEVEL\tmsg".
_LAMBDA_NODE = LazyPattern(rf"{_DATE_TIME}\t(?P<request>[^\t]*)\t{_LEVEL}\t(?P<message>.*)$")
# Go's log package: "2024/05/01 12:00:00[.micro] [file.go:12: ]msg", maybe a level word first.
_GO_LOG = LazyPattern(
    r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?\s+(?:(?P<file>[\w./-]+\.go):\d+:\s+)?"
    rf"(?:\[?{_LEVEL}\]?:?\s+)?(?P<message>.*)$"
)
# Anything else led by a timestamp: "<date> [pid] [LEVEL] msg", "<date> LEVEL: msg".
# structlog's console renderer pads the level inside its bracket: "[error    ]".
_STAMP_GENERIC = LazyPattern(
    rf"{STAMP}\s+(?:\[[^\]]*\]\s+)??(?:(?P<logger>[\w.-]+)\.)?\[?{_LEVEL}(?:\s*\])?:?"
    r"(?:\s+(?P<message>.*))?$"
)
# The Python Lambda runtime: "[ERROR]\t<time>\t<request id>\tmsg".
_LAMBDA_PYTHON = LazyPattern(rf"\[{_LEVEL}\]\t{_DATE_TIME}\t(?P<request>[^\t]*)\t(?P<message>.*)$")
# Serilog's console default: "[12:00:00 ERR] msg".
_SERILOG = LazyPattern(rf"\[{STAMP} {_LEVEL}\]\s+(?P<message>.*)$")
# Monolog / Laravel: "[<date>] channel.LEVEL: msg"; gunicorn: "[<date>] [pid] [LEVEL] msg".
_BRACKET_STAMP = LazyPattern(
    rf"\[{_DATE_TIME}\]\s+(?:\[[^\]]*\]\s+)??(?:(?P<logger>[\w.-]+)\.)?\[?{_LEVEL}\]?:?"
    r"(?:\s+(?P<message>.*))?$"
)
# "[ERROR] msg", "[ERROR] <date> [thread] msg".
_BRACKET_LEVEL = LazyPattern(
    rf"\[\s*{_LEVEL}\s*\]\s+(?:{STAMP}\s+)?(?:\[(?P<thread>[^\]]*)\]\s+)?"
    r"(?P<message>.*)$"
)
# ASP.NET Core console logger: "fail: Namespace.Logger[eventid]" (the message is on the next line).
_MS_CONSOLE = LazyPattern(
    r"(?P<level>trce|dbug|info|warn|fail|crit): (?P<logger>[^\[\s]+)\[\d+\]\s*(?P<message>.*)$"
)
# Ruby's Logger: "E, [2024-05-01T12:00:00.123456 #1] ERROR -- progname: msg".
_RUBY = LazyPattern(
    rf"[A-Z], \[{_DATE_TIME}\s+#\d+\]\s+{_LEVEL} -- (?P<logger>[^:]*): (?P<message>.*)$"
)
# klog / glog: "E0501 12:00:00.123456       1 controller.go:42] msg".
_KLOG = LazyPattern(
    rf"(?P<letter>[IWEF])\d{{4}} {_TIME}\s+\d+ (?P<logger>[^:\]\s]+)(?::\d+)?\] (?P<message>.*)$"
)
# java.util.logging's SimpleFormatter, first of its two lines:
# "May 01, 2024 12:00:00 PM com.x.Foo main".
_JUL_FIRST_LINE = LazyPattern(
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4} "
    r"\d{1,2}:\d{2}:\d{2} [AP]M (?P<logger>[\w.$]+)(?: \S+)?$"
)
# Its second line: "SEVERE: msg".
_JUL_LEVEL_LINE = LazyPattern(r"(?P<level>[A-Z]+): (?P<message>.*)$")
# Python's logging default: "ERROR:root:msg" (no space in the logger name).
_LEVEL_COLON_LOGGER = LazyPattern(r"(?P<level>[A-Z]+):(?P<logger>[\w.-]+):(?P<message>.*)$")
# winston's ``simple`` format: "error: msg {json meta}", the level in lower case.
# winston's npm levels only: "panic: ..." is Go's crash, not a level word.
_LOWER_LEVEL_COLON = LazyPattern(r"(?P<level>error|warn|info|verbose|debug): (?P<message>.*)$")
# A bare upper-case level: "ERROR msg", "SEVERE: msg", "ERROR:    msg" (uvicorn).
_LEVEL_FIRST = LazyPattern(r"(?P<level>[A-Z]+)(?::\s*|\s+)(?P<message>.*)$")
# logfmt: a line that starts with key=value; the keys are looked up afterwards.
_LOGFMT_START = LazyPattern(r"[\w.]+=")
_LOGFMT_PAIR = LazyPattern(r'([\w.]+)=("(?:[^"\\]|\\.)*"|\S*)')

# A bracket of per-request values ("[payment-service,<traceId>,<spanId>]",
# "[service,<traceId>]": a logger name never holds a comma) or Rails' request
# id tag ("[6aebd13d-9746-41a5-8dad-b342b7fad53f]").
_REQUEST_VALUES = LazyPattern(
    r"\[(?:[^\[\]]*,[^\[\]]*|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12})\]\s*"
)
# "logger: msg" after such a bracket; a dotted or module-like name, no spaces.
_NAME_COLON = LazyPattern(r"(?P<logger>[A-Za-z_$][\w.$-]*):\s+(?P<message>.*)$")

# Spring Boot 3's correlation group: "traceid-spanid".
_CORRELATION = LazyPattern(r"[0-9a-f]{16,32}-[0-9a-f]{16}")

_LOGFMT_LEVEL_KEYS = ("level", "lvl", "severity", "log.level")
_LOGFMT_MESSAGE_KEYS = ("msg", "message")
_LOGFMT_LOGGER_KEYS = ("logger", "component", "module", "name")
_LOGFMT_ERROR_KEYS = ("err", "error")  # slog's and logrus' error attributes

# Lines above a trace read for its log message: the log call's line and what it wrapped.
_MAX_LINES_BEFORE = 20

# Patterns tried in order, by the line's first character. A pattern whose level
# group holds a word that is not a level fails and the next one is tried.
_FOR_DIGIT = (
    _SPRING,
    _LOGBACK,
    _LOGURU,
    _PYTHON_DASHES,
    _NLOG,
    _LAMBDA_NODE,
    _STAMP_LEVEL_BRACKET,
    _STAMP_GENERIC,
)
_FOR_BRACKET = (_LAMBDA_PYTHON, _SERILOG, _BRACKET_STAMP, _BRACKET_LEVEL)
_FOR_LETTER = (_LEVEL_COLON_LOGGER, _LEVEL_FIRST)


def parse_prefix(line: str) -> LinePrefix | None:
    """The log prefix of ``line``, or None when the line has no recognisable one.

    ``level`` is normalised to one of :data:`LEVELS`; layouts that carry no level
    (Go's ``log``, the first line of java.util.logging) give ``level=""``.
    """
    if not line:
        return None
    first = line[0]
    if first.isdigit():
        prefix = _first_match(_FOR_DIGIT, line)
        if prefix is None:
            prefix = _go_log(line)
        return prefix
    if first == "[":
        return _first_match(_FOR_BRACKET, line)
    if first.isalpha():
        return _letter_led(line)
    return None


def parse_head(lines: Sequence[str]) -> LinePrefix | None:
    """The log prefix of a record whose first lines are ``lines``.

    The first line's, except for java.util.logging's two-line records: the
    date line names the logger, the next line starts with the level
    (``SEVERE: msg``).
    """
    if not lines:
        return None
    prefix = parse_prefix(lines[0])
    if (
        prefix is not None
        and not prefix.level
        and len(lines) > 1
        and lines[0][:1] in "JFMASOND"
        and _JUL_FIRST_LINE.match(lines[0]) is not None
    ):
        second = _JUL_LEVEL_LINE.match(lines[1])
        if second is not None and normalize_level(second["level"]):
            return LinePrefix(
                level=normalize_level(second["level"]),
                logger=prefix.logger,
                message=second["message"].strip(),
            )
    return prefix


def message_before(before: list[str], *, skip: Callable[[str], bool] | None = None) -> str:
    """The log message on the lines written before a trace, without their log prefixes.

    Only the last 20 lines are read. Blank lines are left out, and so is any
    line ``skip`` is true of (a runtime's own banner).
    """
    parts: list[str] = []
    for line in before[-_MAX_LINES_BEFORE:]:
        body = line.strip()
        if not body or (skip is not None and skip(line)):
            continue
        prefix = parse_prefix(line)
        text = prefix.message if prefix is not None else body
        if text:
            parts.append(text)
    return "\n".join(parts)


def _first_match(patterns: tuple[LazyPattern, ...], line: str) -> LinePrefix | None:
    for pattern in patterns:
        match = pattern.match(line)
        if match is None:
            continue
        level = normalize_level(match["level"])
        if not level:
            continue
        groups = match.groupdict()
        thread = groups.get("thread") or groups.get("thread2") or ""
        logger = groups.get("logger") or ""
        if "brackets" in groups:
            logger, thread = match["logger"], _spring_thread(match["brackets"])
        message = (groups.get("message") or "").strip()
        if "," in logger or message[:1] == "[":
            logger, message = _without_request_values(logger, message)
        return LinePrefix(
            level=level, logger=logger.strip(), message=message, thread=thread.strip()
        )
    return None


def _without_request_values(logger: str, message: str, *, named: bool = True) -> tuple[str, str]:
    """Logger and message with a bracket of per-request values left out of both.

    ``ERROR [service,<traceId>] payment.api: msg``: the bracket was read as the
    logger, or leads the message; the name before the colon is the logger
    (when ``named``: a layout that prints its logger elsewhere has none there).
    """
    if "," in logger:
        logger = ""
    else:
        bracket = _REQUEST_VALUES.match(message)
        if bracket is None:
            return logger, message
        message = message[bracket.end() :]
    if not logger and named:
        found = _NAME_COLON.match(message)
        if found is not None:
            return found["logger"], found["message"].strip()
    return logger, message


def _spring_thread(brackets: str) -> str:
    """The thread among Spring Boot's ``[app] [thread] [trace-span]`` groups."""
    groups = [part.strip() for part in brackets.replace("]", "[").split("[") if part.strip()]
    # Spring 3's correlation group is "traceid-spanid" or blank padding: not a thread.
    groups = [group for group in groups if not _CORRELATION.fullmatch(group)]
    if not groups:
        return ""
    return groups[1] if len(groups) >= 2 else groups[0]


def _go_log(line: str) -> LinePrefix | None:
    match = _GO_LOG.match(line)
    if match is None:
        return None
    level = normalize_level(match["level"]) if match["level"] else ""
    return LinePrefix(level=level, logger=match["file"] or "", message=match["message"].strip())


def _letter_led(line: str) -> LinePrefix | None:
    first = line[0]
    if first.islower():
        match = _MS_CONSOLE.match(line)
        if match is not None:
            return LinePrefix(
                level=_MS_CONSOLE_LEVELS[match["level"]],
                logger=match["logger"],
                message=match["message"].strip(),
            )
        match = _LOWER_LEVEL_COLON.match(line)
        if match is not None and normalize_level(match["level"]):
            return LinePrefix(
                level=normalize_level(match["level"]), logger="", message=match["message"].strip()
            )
    elif len(line) > 1:
        second = line[1]
        if second == ",":
            match = _RUBY.match(line)
            if match is not None and normalize_level(match["level"]):
                logger, message = match["logger"].strip(), match["message"].strip()
                if message[:1] == "[":
                    logger, message = _without_request_values(logger, message, named=False)
                return LinePrefix(
                    level=normalize_level(match["level"]), logger=logger, message=message
                )
        elif second.isdigit():
            match = _KLOG.match(line)
            if match is not None:
                return LinePrefix(
                    level=_LETTER_LEVELS[match["letter"]],
                    logger=match["logger"],
                    message=match["message"].strip(),
                )
        elif first in "JFMASOND":
            match = _JUL_FIRST_LINE.match(line)
            if match is not None:
                return LinePrefix(level="", logger=match["logger"], message="")
    if _LOGFMT_START.match(line):
        return _logfmt(line)
    return _first_match(_FOR_LETTER, line)


def _logfmt(line: str) -> LinePrefix | None:
    pairs: dict[str, str] = {}
    for key, value in _LOGFMT_PAIR.findall(line):
        pairs.setdefault(key.lower(), value)
    level = ""
    for key in _LOGFMT_LEVEL_KEYS:
        if key in pairs:
            level = normalize_level(_unquote(pairs[key]))
            break
    if not level:
        return None
    message = next((_unquote(pairs[k]) for k in _LOGFMT_MESSAGE_KEYS if k in pairs), "")
    logger = next((_unquote(pairs[k]) for k in _LOGFMT_LOGGER_KEYS if k in pairs), "")
    error = next((_unquote(pairs[k]) for k in _LOGFMT_ERROR_KEYS if k in pairs), "")
    if error:
        # Go's convention: "msg: err". The error's text tells one failure from another.
        message = f"{message}: {error}" if message else error
    return LinePrefix(level=level, logger=logger, message=message)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value
