"""Structured (JSON) log lines: level, message, logger, service, trace text, context.

One record is one JSON object. Field names differ per logger; each lookup below
lists the names it tries, first match wins, and each name is commented with the
logger that writes it. A dotted name matches a flat key (ECS writes
``"log.level"``) as well as nested objects (``{"log": {"level": ...}}``).

The trace text (:attr:`StructuredLine.stack`) is what the language parsers
read. Two loggers write tracebacks that are not a runtime's printout, and are
rebuilt (by :mod:`.python`) into the text Python prints, from what they keep:

- structlog's ``dict_tracebacks`` (a list of dicts, outermost first): types as
  class names (``JSONDecodeError``), frames, messages and cause/context
  relations survive; exception-group members are not rebuilt (the group itself
  is kept);
- ecs-logging's ``error.stack_trace`` and the AWS Lambda Python runtime's
  ``stackTrace`` list hold only the frames (``format_tb``): the header and the
  ``Type: message`` line come back from the type and message fields (both
  drop the chain itself).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from logship.records import RequestContext

from .line import LEVELS, normalize_level

_DECODER = json.JSONDecoder()

MAX_JSON_CHARS = 1_000_000  # a record is at most AssemblyLimits.max_chars; this is a backstop


@functools.cache
def _cuts(dotted: str) -> tuple[tuple[str, str], ...]:
    """``(head, rest)`` for each way to cut ``dotted`` at a dot, longest head first.

    Cached: every JSON line looks up dozens of the same field names, and
    splitting and joining them again was most of the cost of an INFO line.
    """
    parts = dotted.split(".")
    return tuple(
        (".".join(parts[:cut]), ".".join(parts[cut:])) for cut in range(len(parts) - 1, 0, -1)
    )


class _Fields:
    """Field names tried in order, and every top-level key a lookup of one of them reads.

    :func:`_lookup` reads a name's own key and the keys its dotted heads name
    (``"a.b"`` and ``"a"`` for ``"a.b.c"``): an object holding none of ``keys``
    holds none of ``names``, which one set operation tells.
    """

    __slots__ = ("keys", "names")

    def __init__(self, *names: str) -> None:
        self.names = names
        self.keys = frozenset(
            key for name in names for key in (name, *(head for head, _ in _cuts(name)))
        )


# Field names, most specific first. Origins: pino (pino, pino-std-serializers,
# pino-http), structlog, logstash-logback-encoder (Logback/Spring), ECS loggers
# (ecs-logging-python, ecs-logging-java, ecs-logging-nodejs), Serilog's compact
# JSON (CLEF: "@l", "@m"), Google Cloud Logging ("severity"), Datadog ("dd.*").
_LEVEL_FIELDS = _Fields("level", "levelname", "severity", "log.level", "@l", "loglevel")
_MESSAGE_FIELDS = _Fields("message", "msg", "event", "@m", "@mt")
_LOGGER_FIELDS = _Fields(
    "logger", "logger_name", "log.logger", "name", "loggerName", "SourceContext"
)
_SERVICE_FIELDS = _Fields("service.name", "service", "app", "application", "dd.service")
_STACK_FIELDS = _Fields(
    "stack_trace",  # logstash-logback-encoder
    "exception",  # structlog format_exc_info (str) / dict_tracebacks (list)
    "err.stack",  # pino-std-serializers
    "error.stack_trace",  # ECS
    "error.stack",  # ECS as some Node/Go loggers write it, Datadog
    "exc_info",  # python-json-logger
    "@x",  # Serilog CLEF
    "stackTrace",  # AWS Lambda runtimes' JSON log format: a list of lines or frames
    "message.stackTrace",  # the Node.js Lambda runtime nests the error in "message"
    "stack",
)
_ERROR_TYPE_FIELDS = _Fields(
    "err.type",
    "error.type",
    "error.kind",
    "exc_type",
    "errorType",  # AWS Lambda runtimes
    "message.errorType",
)
# An error as one string, the way Go loggers write it: slog's "err", zap's and
# logrus' "error" ("charge order 1001: read tcp ...: i/o timeout").
_ERROR_TEXT_FIELDS = _Fields("err", "error")
_ERROR_MESSAGE_FIELDS = _Fields(
    "err.message",
    "error.message",
    "exc_value",
    "errorMessage",  # AWS Lambda runtimes
    "message.errorMessage",
)
_TRACE_ID_FIELDS = _Fields(
    "trace_id",
    "traceId",
    "trace.id",  # ECS
    "dd.trace_id",  # Datadog
    "X-Amzn-Trace-Id",  # AWS load balancers and API Gateway
    "traceparent",  # W3C
    "@tr",  # Serilog CLEF
    "otelTraceID",
    "logging.googleapis.com/trace",
)
_REQUEST_ID_FIELDS = _Fields(
    "request_id",
    "requestId",
    "req.id",  # pino-http
    "http.request.id",  # ECS
    "x_request_id",
    "awsRequestId",  # Lambda context
)
_URL_FIELDS = _Fields(
    "url.full",  # ECS
    "url.original",  # ECS
    "req.url",  # pino-http
    "http.url",  # Datadog / OpenTelemetry (old)
    "request.url",
    "url",
    "url.path",  # ECS
    "http.target",  # OpenTelemetry (old)
)
_METHOD_FIELDS = _Fields(
    "http.request.method",  # ECS
    "req.method",  # pino-http
    "http.method",  # Datadog / OpenTelemetry (old)
    "request.method",
    "method",
)
_USER_AGENT_FIELDS = _Fields(
    "user_agent.original",  # ECS
    "req.headers.user-agent",  # pino-http
    "http.user_agent",  # Datadog
    "http.request.headers.user-agent",
    "request.headers.user-agent",
    "user_agent",
    "userAgent",
)

# Names only JSON loggers write; the rest are the text prefixes' names (.line).
_EXTRA_LEVEL_NAMES: Mapping[str, str] = {
    "DEFAULT": "info",  # Google Cloud Logging's severity for "no level"
}
# pino and bunyan numbers: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal.
_PINO_LEVELS = ((10, "trace"), (20, "debug"), (30, "info"), (40, "warning"), (50, "error"))


# A NamedTuple rather than a frozen dataclass: as immutable, and built at
# import in a tenth of the time (this module is on every cold start's path).
class StructuredLine(NamedTuple):
    """What a JSON log line says, in logship's terms ("" where it says nothing)."""

    level: str
    message: str
    logger: str
    service: str
    stack: str  # trace text for the language parsers
    error_type: str
    error_message: str
    context: RequestContext
    error_text: str = ""  # an error as one string ("err", "error"), for a line without a trace


def parse_structured(text: str) -> StructuredLine | None:
    """The fields of ``text`` when it is one JSON object, else None."""
    data = json_object(text)
    return structured_line(data) if data is not None else None


def json_object(text: str) -> dict[str, Any] | None:
    """``text`` decoded, when it is one JSON object (white space around it aside), else None."""
    stripped = text.strip()
    if not stripped.startswith("{") or not stripped.endswith("}"):
        return None
    if len(stripped) > MAX_JSON_CHARS:
        return None
    try:
        # What json.loads does, less its checks that cannot fail here: the text
        # starts with "{" (no BOM, no white space to skip) and ends with "}", so
        # it holds extra data exactly when the object ends before the last character.
        data, end = _DECODER.raw_decode(stripped)
    except (ValueError, RecursionError):
        return None
    if end != len(stripped) or not isinstance(data, dict):
        return None
    return data


def structured_line(data: Mapping[str, Any], level: str | None = None) -> StructuredLine:
    """The fields of a decoded JSON log line; ``level`` is :func:`level_of` if known already."""
    error_type = _text(data, _ERROR_TYPE_FIELDS)
    error_message = _text(data, _ERROR_MESSAGE_FIELDS)
    return StructuredLine(
        level=level_of(data) if level is None else level,
        message=_text(data, _MESSAGE_FIELDS),
        logger=_text(data, _LOGGER_FIELDS),
        service=_text(data, _SERVICE_FIELDS),
        stack=_stack(data, error_type, error_message),
        error_type=error_type,
        error_message=error_message,
        context=RequestContext(
            trace_id=_text(data, _TRACE_ID_FIELDS),
            request_id=_text(data, _REQUEST_ID_FIELDS),
            url=_text(data, _URL_FIELDS),
            http_method=_text(data, _METHOD_FIELDS).upper(),
            user_agent=_text(data, _USER_AGENT_FIELDS),
        ),
        error_text=_text(data, _ERROR_TEXT_FIELDS),
    )


def level_from_field(value: object) -> str:
    """A logger's level (name or pino number) as one of :data:`LEVELS`, or ""."""
    if isinstance(value, str):
        return _level_word(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    for ceiling, name in _PINO_LEVELS:
        if value <= ceiling:
            return name
    return "fatal"


@functools.lru_cache(maxsize=256)
def _level_word(value: str) -> str:
    """A level field's text as one of :data:`LEVELS`, or "".

    Cached: loggers spell their few levels the same way on every line.
    """
    word = value.strip()
    name = normalize_level(word) or _EXTRA_LEVEL_NAMES.get(word.upper(), "")
    return name if name in LEVELS else ""


def level_of(data: Mapping[str, Any]) -> str:
    """The normalized level of a JSON log object, or "" when it names none."""
    if not data.keys().isdisjoint(_LEVEL_FIELDS.keys):
        for name in _LEVEL_FIELDS.names:
            value = _lookup(data, name)
            if value is not None:
                return level_from_field(value)
    if "@t" in data and ("@m" in data or "@mt" in data):
        return "info"  # Serilog's compact JSON leaves out Information, its default
    return ""


def _lookup(data: Mapping[str, Any], dotted: str) -> Any:
    """``data[dotted]``, or the nested ``data[a][b]`` for ``"a.b"``, or any mix of both."""
    if dotted in data:
        return data[dotted]
    for head, rest in _cuts(dotted):
        inner = data.get(head)
        # Decoded JSON nests dicts: checked first, they skip the slower Mapping
        # check (an ABC); None, what most lookups find, skips both.
        if inner is not None and isinstance(inner, (dict, Mapping)):
            found = _lookup(inner, rest)
            if found is not None:
                return found
    return None


def _text(data: Mapping[str, Any], fields: _Fields) -> str:
    """The first of ``fields`` holding a string or a number, as text."""
    if data.keys().isdisjoint(fields.keys):
        return ""  # no lookup below could find anything
    for name in fields.names:
        value = _lookup(data, name)
        if value is None:
            continue
        if isinstance(value, str):
            if value:
                return value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
    return ""


def _stack(data: Mapping[str, Any], error_type: str, error_message: str) -> str:
    if data.keys().isdisjoint(_STACK_FIELDS.keys):
        return ""
    # Imported here, with the other parsers the trace text is for (a cold start
    # without errors needs none of them).
    from logship.parse import python

    for name in _STACK_FIELDS.names:
        value = _lookup(data, name)
        if isinstance(value, str) and value.strip():
            if (
                error_type
                and python.TRACEBACK_HEADER not in value
                and value.lstrip().startswith('File "')
            ):
                return python.traceback_from_frames(value, error_type, error_message)
            return value
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            return python.traceback_from_dicts(value)
        if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
            # Lambda: Python's format_tb entries, or a Node stack split into lines.
            joined = "\n".join(item.rstrip("\n") for item in value)
            if error_type and joined.lstrip().startswith('File "'):
                return python.traceback_from_frames(joined, error_type, error_message)
            return joined
    return ""
