"""Parse stage: a :class:`~logship.records.LogRecord` becomes a :class:`ParsedError`.

The order of work, cheapest first:

0. A one-line text record whose log prefix says a level below the configured
   minimum, or a JSON record whose level field does, is turned away after one
   regex match or one ``json.loads`` (most of what a service writes is one
   INFO line); the steps below would reject exactly these records too.
1. A structured (JSON) record gives level, message, service, context and the
   trace text from its fields (:mod:`.structured`).
2. A plain-text record's first line may carry a log prefix with a level and a
   logger (:mod:`.line`).
3. Records below the configured level are rejected here, before any language
   parser runs: most of what a service writes is INFO.
4. The language parsers look for their runtime's trace format; the first match
   wins. Each module exposes ``parse(text) -> Trace | None`` and ``MARKER``, a
   regex that any text holding one of its traces matches; the markers are
   joined into one alternation that turns away trace-less text at once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import replace
from fnmatch import fnmatchcase
from types import ModuleType

from logship.config import Config
from logship.parse.line import LEVEL_NAMES, LEVELS, STAMP, parse_head, parse_prefix
from logship.parse.structured import json_object, level_of, structured_line
from logship.records import ExceptionInfo, Frame, LogRecord, ParsedError, RequestContext, Trace


@functools.cache
def _language_modules() -> tuple[ModuleType, ...]:
    """The language parsers, imported when the first record needs one.

    Many batches hold no trace at all, and the parsers are most of the parse
    stage's code: importing them with the package would add about 6 ms to the
    Lambda's cold start with bytecode precompiled, more without
    (docs/performance.md, "Issue 14: lazy imports").
    """
    from logship.parse import dart, dotnet, go, java, node, php, python, ruby

    # Most specific first: a Python traceback can quote a Java class name, not the
    # other way round; Go's "panic:", Dart's "#0      member (uri)" frames and PHP's
    # "PHP Fatal error" are unambiguous.
    return (python, go, dart, php, dotnet, java, ruby, node)


@functools.cache
def language_parsers() -> tuple[tuple[str, Callable[[str], Trace | None]], ...]:
    """``(language, parse)`` pairs in the order they are tried, most specific first."""
    return tuple(
        (module.__name__.rpartition(".")[2], module.parse) for module in _language_modules()
    )


@functools.cache
def _any_trace() -> re.Pattern[str]:
    """One alternation of every parser's MARKER: text that matches none holds no trace."""
    markers = (module.MARKER for module in _language_modules())
    return re.compile("|".join(f"(?:{marker})" for marker in markers), re.MULTILINE)


_RANKS: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}


def level_rank(level: str) -> int:
    """The position of ``level`` in :data:`LEVELS`; unknown levels rank lowest."""
    return _RANKS.get(level, -1)


def find_trace(text: str) -> Trace | None:
    """The first language trace found in ``text``, or None."""
    if not _any_trace().search(text):
        return None
    for _language, parse in language_parsers():
        trace = parse(text)
        if trace is not None and trace.chain:
            return trace
    return None


_TRACEBACK = "Traceback (most recent call last):"
# The first frame of an uncaught exception's traceback: the program's top level.
_TOP_LEVEL_FRAMES = (", in <module>", 'File "<frozen runpy>"')


def split_uncaught(record: LogRecord) -> tuple[LogRecord, ...]:
    """``record`` as the log line and the uncaught Python crash that its assembly joined.

    ``ERROR:shop:ledger unreachable`` followed by the interpreter's own
    ``Traceback`` reads the same as ``logger.exception``'s output, and the
    assembler joins them. The traceback tells: an exception that reached the
    interpreter starts at the program's top level (``<module>``, or runpy for
    ``python -m``), while a logged one starts where it was caught. A record
    whose second line opens a traceback whose outermost block starts at the
    top level is split in two, one line per event. The price: an exception
    logged by ``logger.exception`` at module level is split the same way (two
    errors, the log line's and the trace's). Loguru's tracebacks (a blank
    line under the header) are never split: it prints frames above the catch.

    A record the Lambda stitched (``logship.stitch``) holds lines read from
    CloudWatch Logs besides its own events: leading ones when it is
    ``continued``, trailing ones counted in ``stitched``. Each part keeps only
    its own events; a part with none is another invocation's and is dropped,
    so both invocations at a payload boundary split as replay does.
    """
    lines = record.lines
    if len(lines) < 3 or lines[1] != _TRACEBACK:
        return (record,)
    read_before = len(lines) - len(record.event_ids) - record.stitched
    if read_before < 0 or (read_before and not record.continued):
        return (record,)  # events of several lines (awslogs multiline mode): not split
    outermost = max(index for index, line in enumerate(lines) if line == _TRACEBACK)
    first_frame = lines[outermost + 1] if outermost + 1 < len(lines) else ""
    if not first_frame.startswith('  File "') or not any(
        marker in first_frame for marker in _TOP_LEVEL_FRAMES
    ):
        return (record,)
    prefix = parse_prefix(lines[0])
    if prefix is None or not prefix.level:
        return (record,)
    own_first = 0 if read_before else 1  # the log line's own event, if it is this payload's
    log_line = replace(record, event_ids=record.event_ids[:own_first], lines=lines[:1], stitched=0)
    crash = replace(
        record,
        event_ids=record.event_ids[own_first:],
        lines=lines[1:],
        continued=read_before > 1,
    )
    # A part without an event of this payload's is another invocation's to ship.
    return tuple(part for part in (log_line, crash) if part.event_ids)


def parse_record(
    record: LogRecord, config: Config, *, fast_reject: bool = True
) -> ParsedError | None:
    """The error in ``record``, or None when it is not one (an INFO line, say).

    ``fast_reject``: a text record whose first line is a log line below
    ``min_level`` is turned away after one regex match, before the prefix
    layouts are tried one by one. It pays: stage (2) of ``python -m bench`` takes
    1.04 s with it and 1.42 s without (8 MB, the fast lane off in both;
    docs/performance.md). ``tests/parse/test_fast_reject.py`` runs both ways.
    """
    if fast_reject and _low_text_record(record, config.min_level):
        return None
    text = record.text
    minimum = level_rank(config.min_level)
    structured = None
    data = json_object(text)
    if data is not None:
        level = level_of(data)
        if level and level_rank(level) < minimum:
            # The level check below, made before the line's other fields are
            # read: most JSON lines a service writes are INFO.
            return None
        structured = structured_line(data, level)
    if structured is not None:
        level, message = structured.level, structured.message
        service_field, context = structured.service, structured.context
        # winston's documented idiom names the logger in defaultMeta's "service".
        logger = structured.logger or service_field
        trace_text = structured.stack
        if structured.error_text and not trace_text:
            # Go's convention: "msg: err". The error's text tells one failure from another.
            message = f"{message}: {structured.error_text}" if message else structured.error_text
    else:
        prefix = parse_head(record.lines)
        level = prefix.level if prefix else ""
        # Without a prefix the first line is the trace's own header ("panic: ...",
        # 'Exception in thread "main" ...'): the trace supplies the message then.
        message = prefix.message if prefix else ""
        logger = prefix.logger if prefix else ""
        trace_text = text
        if message.endswith("}"):
            message, trace_text, meta_logger = _trailing_meta(message, text)
            logger = logger or meta_logger
        # The request context is looked for only once the record proves to be an
        # error: its patterns cost more than the rest of rejecting an INFO line.
        service_field, context = "", None

    if level and level_rank(level) < minimum:
        return None

    trace = find_trace(trace_text) if trace_text else None
    if trace is None and structured is not None and structured.error_type:
        trace = Trace(
            language="",
            chain=(ExceptionInfo(type=structured.error_type, message=structured.error_message),),
        )
    if trace is None and not level:
        return None  # a line with no level and no trace says nothing is wrong
    if trace is not None and not level:
        level = _implied_level(trace)
        if level and level_rank(level) < minimum:
            return None

    if trace is not None:
        trace = _mark_in_app(trace, config.in_app_prefixes)
        message = message or trace.message or trace.chain[0].message
    if context is None:
        # Imported here: only text errors need it, and most batches hold none.
        from logship.parse.context import find_context

        context = find_context(text)
    return ParsedError(
        record=record,
        service=service_name(record, service_field, config),
        level=_sentry_level(level, trace),
        message=message,
        logger=logger,
        language=trace.language if trace else "",
        chain=trace.chain if trace else (),
        related=trace.related if trace else (),
        context=context if context else RequestContext(),
    )


def _trailing_meta(message: str, text: str) -> tuple[str, str, str]:
    """A message without the JSON object winston's ``simple`` format puts after it.

    ``error: payment failed for order 1001 {"service":"x","stack":"Error: ..."}``:
    the message, the object's ``stack`` as the trace text (else the record's
    text) and its ``service``, winston's documented name of the logger.
    """
    start = message.find(' {"')
    meta = json_object(message[start:]) if start >= 0 else None
    if meta is None:
        return message, text, ""
    stack, service = meta.get("stack"), meta.get("service")
    return (
        message[:start].rstrip(),
        stack if isinstance(stack, str) and stack else text,
        service if isinstance(service, str) else "",
    )


_ANY_LEVEL = "|".join(sorted(LEVEL_NAMES, key=len, reverse=True))


@functools.cache
def _low_text_line(min_level: str) -> re.Pattern[str] | None:
    """A pattern for ``<stamp> [thread] LEVEL ...`` lines whose level is below ``min_level``.

    Exactly the lines that .line's digit-led patterns give such a level: the
    separators are spaces (never the tab of the Lambda Node layout or the ``-``
    and ``|`` of the Python and NLog ones), the level word is whole (followed by
    white space or the end, so the permissive ``<stamp> LEVEL msg`` layout
    always matches it), and the thread in brackets does not start with a level
    word (that layout would read ``[ERROR x] INFO`` as an ERROR line).
    """
    minimum = level_rank(min_level)
    low = [name for name, level in LEVEL_NAMES.items() if level_rank(level) < minimum]
    if not low:
        return None
    names = "|".join(sorted(low, key=len, reverse=True))
    # .line's own timestamp fragment: both read the same stamps.
    return re.compile(rf"{STAMP} +(?:\[(?!(?i:{_ANY_LEVEL})\b)[^\]]*\] +)?(?i:{names})(?:\s|$)")


def low_text_line(min_level: str) -> re.Pattern[str] | None:
    """The fast rejection's pattern for one-line text records below ``min_level``, if any.

    A one-line record whose line starts with a digit and matches it is one
    :func:`parse_record` turns away; the assembler's fast lane uses it to count
    such lines without building their records.
    """
    return _low_text_line(min_level)


def low_json_line(text: str, *, min_level: str) -> bool:
    """Whether ``text``, a JSON object, is a record :func:`parse_record` turns away.

    The same checks parse_structured makes, then only the level field. The
    fast rejection and the assembler's fast lane (for JSON lines) share it.
    """
    data = json_object(text)
    if data is None:
        return False
    level = level_of(data)
    return bool(level) and level_rank(level) < level_rank(min_level)


def below_minimum(record: LogRecord, min_level: str) -> bool:
    """Whether ``record`` is surely below ``min_level``, known at a fraction of a full parse.

    A JSON line whose level field is low or a text record whose first line
    matches :func:`low_text_line`: parse_record turns these away, whatever
    lines may still follow (stitching reads on only for entries that can be
    errors).
    """
    lines = record.lines
    if lines and lines[0].lstrip()[:1] == "{":
        return low_json_line(record.text, min_level=min_level)
    return _low_text_record(record, min_level)


def _low_text_record(record: LogRecord, min_level: str) -> bool:
    """Whether ``record``'s first line is a digit-led log line below ``min_level``.

    One match, where the full path would try .line's layouts one after the
    other. Lines after the first change nothing: a text record's level is its
    first line's, and the full path rejects a low level before it looks for a
    trace (JSON cannot start with a digit).
    """
    lines = record.lines
    if not lines:
        return False
    first = lines[0]
    # A line holding "\n" (never one the assembler made) would end .line's match early.
    if not first[:1].isdigit() or "\n" in first:
        return False
    pattern = _low_text_line(min_level)
    return pattern is not None and pattern.match(first) is not None


def service_name(record: LogRecord, from_field: str, config: Config) -> str:
    """Who logged ``record``: config mapping, JSON field, log group, stream prefix."""
    for mapping in config.services:
        subject = record.log_stream if mapping.field == "log_stream" else record.log_group
        if fnmatchcase(subject, mapping.pattern):
            return mapping.service
    if from_field:
        return from_field
    group = record.log_group.rstrip("/")
    for prefix in ("/aws/lambda/", "/aws/ecs/", "/ecs/", "/aws/apprunner/"):
        if group.startswith(prefix) and len(group) > len(prefix):
            return group[len(prefix) :].split("/", 1)[0]
    if group and not group.startswith("/aws/"):
        return group.rsplit("/", 1)[-1]
    # The awslogs driver names streams "prefix/container-name/task-id".
    parts = record.log_stream.split("/")
    if len(parts) >= 3:
        return parts[1]
    return parts[0] or group or "unknown"


# PHP prints warnings and notices in the same shape as its fatal errors.
_PHP_WARNING_TYPES = frozenset({"PHP Warning", "PHP Notice", "PHP Deprecated"})


def _implied_level(trace: Trace) -> str:
    """The level a trace's own form implies when no log prefix gave one."""
    return "warning" if trace.chain[0].type in _PHP_WARNING_TYPES else ""


def _sentry_level(level: str, trace: Trace | None) -> str:
    if level in ("fatal", "critical"):
        return "fatal"
    if level == "warning":
        return "warning"
    if not level and trace is not None and trace.language == "go":
        # An unrecovered panic ends the process; net/http recovers its handlers' panics.
        return "error" if trace.message.startswith("http: panic serving") else "fatal"
    return "error"


def _mark_in_app(trace: Trace, prefixes: tuple[str, ...]) -> Trace:
    """Apply configured in-app prefixes; without any, keep the parsers' heuristic."""
    if not prefixes:
        return trace

    def mark(exc: ExceptionInfo) -> ExceptionInfo:
        frames = tuple(replace(frame, in_app=_in_app(frame, prefixes)) for frame in exc.frames)
        return replace(exc, frames=frames)

    return replace(
        trace,
        chain=tuple(mark(exc) for exc in trace.chain),
        related=tuple(mark(exc) for exc in trace.related),
    )


def _in_app(frame: Frame, prefixes: tuple[str, ...]) -> bool:
    return any(
        frame.module.startswith(prefix) or frame.filename.startswith(prefix) for prefix in prefixes
    )
