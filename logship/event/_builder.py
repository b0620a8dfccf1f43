"""The builder: one :class:`~logship.records.Fingerprinted` error becomes one Sentry event.

One path for every scrub configuration: each string is scrubbed as it is placed
(with what the scrubber's walk of the finished event would make of it, field by
field, ``[scrub] keep`` paths included: see :class:`ScrubSites`), and the
event's JSON size is bounded as it goes, so most events need neither a second
walk nor serializing to be known to fit.

Why this path, measured on the benchmark corpus (``python -m bench``, 24 MB,
955 events, this machine): building the events this way takes 37 to 46 ms;
building them unscrubbed, then scrubbing the finished event (the path a
``[scrub] keep`` used to take) 103 to 136 ms, about 15% of stage (2)'s 0.6 s.
Knowing the size bound saves serializing and compressing nearly every event:
19 ms, about 3% of stage (2). A memo of the parts that come back event after
event (stacks, tags, names) saved 8 ms, about 1.5%, within the bench's noise:
it was removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from logship import __version__
from logship.records import (
    NO_ANNOTATION,
    Annotation,
    ExceptionInfo,
    Fingerprinted,
    Frame,
    ParsedError,
    Relation,
    RequestContext,
)
from logship.scrub import FILTERED
from logship.truncate import (
    LEVELS,
    Limits,
    cut,
    cut_left,
    json_bound,
    scalar_json_bound,
    shorten_key,
    surely_fits,
    trim_middle,
    within_budget,
)

from ._ids import console_url, event_id, parse_trace_id, platform_for
from ._settings import Event, EventSettings
from ._tags import one_line, tag_key, tag_value

__all__ = [
    "MAX_FINGERPRINT_PART_CHARS",
    "SCRUB_MARGIN",
    "SENTRY_LEVELS",
    "build_event",
]

SENTRY_LEVELS = frozenset({"fatal", "error", "warning", "info", "debug"})

MAX_LOGGER_CHARS = 64  # Relay trims longer logger names
MAX_FINGERPRINT_PART_CHARS = 256  # fixed, so a key never depends on how an event was cut
MAX_CLOUDWATCH_NAME_CHARS = 512  # CloudWatch's own limit for group and stream names
# Timestamps Relay accepts: after the epoch and before the year 10000.
_MAX_TIMESTAMP_MS = 253_402_300_800_000
# Characters past a cut that are scrubbed before it: a secret straddling the cut
# is seen whole (a PEM key is 1.7 to 3.3 KB) and no prefix of it survives the cut.
SCRUB_MARGIN = 4096

# Exception types printed as "package.Class": split into Sentry's module and type.
_DOTTED_TYPE_LANGUAGES = frozenset({"java", "kotlin", "scala", "python", "dotnet", "csharp"})
_DOTTED_TYPE = re.compile(r"[\w$]+(?:\.[\w$]+)+")
# Types whose instances hold other exceptions: group members attach to these.
_GROUP_TYPE = re.compile(r"(?:ExceptionGroup|AggregateError|AggregateException)\Z")
# First lines that only announce a trace: not worth a message beside the exception.
_TRACE_HEADER = re.compile(
    r"(?:Traceback \(most recent call last\):|Exception Group Traceback|Unhandled exception\.)"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_HTTP_METHOD = re.compile(r"[A-Z_-]{3,32}")  # what Relay accepts as request.method

# JSON bytes of an event's structure beside its strings (keys, punctuation,
# numbers, booleans), at least what the largest instance of each part takes. The
# builder adds them to the bound of each string it places; the tests hold the
# resulting bound to the real size.
SDK_NAME = "logship"
_EVENT_BYTES = 2048  # top-level fields, logentry, contexts, request and extra keys
_EXCEPTION_BYTES = 512  # an exception's keys and mechanism, beside its frames
_FRAME_BYTES = 128  # a frame's keys, line number and in_app
_ITEM_BYTES = 64  # a fingerprint part, an event id, or a tag (its key is 32 characters at most)

# Paths of the event scrubbed as a whole by the scrubber's own walk.
_EXTRA_PATH = ("extra",)
_FRAMES_OMITTED_PATH = ("exception", "values", "stacktrace", "frames_omitted")

_T = TypeVar("_T")


def build_event(
    item: Fingerprinted,
    settings: EventSettings,
    extra: Mapping[str, object] | None = None,
    *,
    annotation: Annotation = NO_ANNOTATION,
) -> Event:
    """The Sentry event for ``item``, within Sentry's size limits.

    ``annotation`` (what the ``[[annotate]]`` rules said about ``item``: the
    pipeline's ``Outcome.annotation``) adds the tags ``team`` and ``severity``
    and its static tags, which win over ``settings.tags`` of the same key, and
    a ``runbook`` context (``url``, ``rule``) when it names a runbook.

    ``extra`` adds JSON-serializable entries to the event's ``extra`` (flood
    control's ``logship_suppressed``, say); string values are cut like messages;
    ``raw_log`` and ``logship_truncated`` are the
    builder's own and win over entries of the same name.

    Every string of the event, ``extra`` included, is scrubbed of secrets by
    ``settings.scrubber`` as it is placed, so nothing built here leaves the
    process unscrubbed. The fingerprint was computed earlier from masked
    templates, and scrubbing does not change it.
    """
    identifier = event_id(item.error)
    event: Event = {}
    for limits in LEVELS:
        builder = _Builder(item, settings, limits, identifier, extra or {}, annotation=annotation)
        event = builder.event()
        if builder.sized and surely_fits(builder.size):
            return event
        if within_budget(event):
            return event
    return event  # the last level is small by construction; the tests hold it to that


class _Builder:
    """Builds one event under one :class:`Limits` level and notes whether it cut anything.

    Every string is scrubbed as it is placed (``_put``), by the function
    ``settings.sites`` gives for its field; decisions about a string (is it
    empty, does it hold a "/") are made before scrubbing. ``size`` bounds the
    bytes of the event's JSON, unless ``sized`` is False (the caller's
    ``extra`` holds something only serializing can measure).
    """

    __slots__ = (
        "annotation",
        "error",
        "extra",
        "identifier",
        "item",
        "limits",
        "scrubber",
        "settings",
        "sites",
        "size",
        "sized",
        "truncated",
    )

    def __init__(
        self,
        item: Fingerprinted,
        settings: EventSettings,
        limits: Limits,
        identifier: str,
        extra: Mapping[str, object],
        *,
        annotation: Annotation = NO_ANNOTATION,
    ) -> None:
        self.item = item
        self.annotation = annotation
        self.error = item.error
        self.settings = settings
        self.limits = limits
        self.identifier = identifier
        self.extra = extra
        self.truncated = False
        self.scrubber = settings.scrubber
        self.sites = settings.sites
        self.size = _EVENT_BYTES
        self.sized = True

    def event(self) -> Event:
        error, sites = self.error, self.sites
        event: Event = {
            "event_id": self.identifier,
            "platform": platform_for(error.language),
            "level": error.level if error.level in SENTRY_LEVELS else "error",
            # Who sent it: Sentry shows it, and a search on sdk.name finds what logship made.
            "sdk": {"name": SDK_NAME, "version": __version__},
        }
        fingerprint = self.item.fingerprint
        if fingerprint:
            event["fingerprint"] = [
                self._put(shorten_key(part, MAX_FINGERPRINT_PART_CHARS), sites.fingerprint)
                for part in fingerprint
            ]
            self.size += _ITEM_BYTES * len(fingerprint)
        if 0 < error.timestamp < _MAX_TIMESTAMP_MS:
            event["timestamp"] = error.timestamp / 1000
        logger = one_line(error.logger).strip()
        if logger:
            event["logger"] = self._put(cut_left(logger, MAX_LOGGER_CHARS), sites.logger)
        environment = self.settings.environment_for(error.account)
        if environment:
            event["environment"] = self._put(environment, sites.environment)
        if self.settings.release:
            event["release"] = self._put(self.settings.release, sites.release)

        if error.chain:
            event["exception"] = {"values": self._exceptions()}
            message = _log_message(error)
            if message:
                event["logentry"] = {"formatted": self._put(self._text(message), sites.formatted)}
        else:
            formatted = self._text(error.message.strip()) or "(empty error line)"
            logentry = {"formatted": self._put(formatted, sites.formatted)}
            if self.item.message_template:
                logentry["message"] = self._put(
                    self._text(self.item.message_template), sites.message
                )
            event["logentry"] = logentry

        event["tags"] = self._tags()
        event["contexts"] = self._contexts()
        request = self._request(error.context)
        if request:
            event["request"] = request
        event["extra"] = self._extra()  # last: it reports whether anything was cut
        return event

    # -- strings ----------------------------------------------------------------

    def _put(self, text: str, scrub: Callable[[str], str]) -> str:
        """``text`` as it goes into the event, scrubbed for its field, counted in ``size``."""
        text = scrub(text)
        # json_bound(text), inline: this runs for every string of the event.
        self.size += (6 if text.isascii() else 12) * len(text) + 2
        return text

    def _put_cut(self, text: str, limit: int, scrub: Callable[[str], str]) -> str:
        """``_put(_cut(text, limit))``, without the calls for a short ASCII string."""
        if len(text) > limit or not text.isascii():
            text = self._cut(text, limit)
        text = scrub(text)
        self.size += (6 if text.isascii() else 12) * len(text) + 2
        return text

    def _text(self, text: str) -> str:
        return self._cut(text, self.limits.text)

    def _field(self, text: str) -> str:
        return self._cut(text, self.limits.field)

    def _field_left(self, text: str) -> str:
        if len(text) > self.limits.field:
            self.truncated = True
            text = self.scrubber.scrub_text(text[-(self.limits.field + SCRUB_MARGIN) :])
        return cut_left(text, self.limits.field)

    def _cut(self, text: str, limit: int) -> str:
        if len(text) > limit:
            self.truncated = True
            # Scrubbed before the cut, or a cut secret could leave a prefix the
            # scrubber no longer recognizes (half a card number).
            text = self.scrubber.scrub_text(text[: limit + SCRUB_MARGIN])
        return cut(text, limit)

    def _scrubbed_at(self, value: Any, path: tuple[str, ...]) -> Any:
        """``value`` scrubbed by the scrubber's walk as it would be at ``path``, and counted."""
        value = self.scrubber.scrub_at(value, path)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            bound = scalar_json_bound(item)
            if bound is None or not isinstance(key, str | int):
                self.sized = False  # only serializing can tell
                break
            self.size += bound + json_bound(str(key)) + 2
        return value

    # -- exceptions -------------------------------------------------------------

    def _exceptions(self) -> list[dict[str, Any]]:
        """Chain then related exceptions, outermost first, reversed at the end for Sentry."""
        error, limits = self.error, self.limits
        handled = error.level != "fatal"
        chain, cut_out = _trim(error.chain, limits.exceptions_head, limits.exceptions_tail)
        entries: list[dict[str, Any]] = []
        for index, exc in enumerate(chain):
            mechanism: dict[str, Any] = {"type": "logship", "handled": handled}
            mechanism["exception_id"] = index
            if index:
                mechanism["parent_id"] = index - 1
                if exc.relation is not None:
                    mechanism["source"] = exc.relation.value
            if cut_out and index == cut_out[0]:
                # Its real parent was cut out: say how many links are missing above it.
                mechanism["data"] = {"exceptions_omitted": cut_out[1] - cut_out[0]}
                self.truncated = True
            entries.append(self._exception(exc, mechanism))

        related = error.related[: limits.related]
        group_parent = next((i for i, exc in enumerate(chain) if _GROUP_TYPE.search(exc.type)), 0)
        members: dict[int, int] = {}
        for exc in related:
            parent = group_parent if exc.relation is Relation.GROUP else 0
            mechanism = {
                "type": "logship",
                "handled": handled,
                "exception_id": len(entries),
                "parent_id": parent,
            }
            if exc.relation is Relation.GROUP:
                # sentry-sdk's naming for the members of an exception group
                mechanism["source"] = f"exceptions[{members.get(parent, 0)}]"
                members[parent] = members.get(parent, 0) + 1
                entries[parent]["mechanism"]["is_exception_group"] = True
            else:
                mechanism["source"] = (exc.relation or Relation.SUPPRESSED).value
            entries.append(self._exception(exc, mechanism))
        if len(error.related) > len(related):
            data = entries[0]["mechanism"].setdefault("data", {})
            data["related_omitted"] = len(error.related) - len(related)
            self.truncated = True

        entries.reverse()
        return entries

    def _exception(self, exc: ExceptionInfo, mechanism: dict[str, Any]) -> dict[str, Any]:
        sites = self.sites
        self.size += _EXCEPTION_BYTES
        name, module = _split_type(exc.type.strip(), self.error.language)
        value: dict[str, Any] = {
            "type": self._put(self._field_left(name) or "Error", sites.exception_type)
        }
        if module:
            value["module"] = self._put(self._field_left(module), sites.exception_module)
        if exc.message:
            value["value"] = self._put(self._text(exc.message), sites.exception_value)
        value["mechanism"] = mechanism

        frames, cut_out = _trim(exc.frames, self.limits.frames_head, self.limits.frames_tail)
        omitted: tuple[int, int] | None = None
        if cut_out:
            # Indices count the frames the runtime left out ("... 12 more") first.
            start, end = cut_out
            omitted = (exc.frames_omitted + start, exc.frames_omitted + end)
            self.truncated = True
        elif exc.frames_omitted:
            omitted = (0, exc.frames_omitted)
        if omitted:
            # Relay drops ``frames_omitted`` from the stacktrace; mechanism data survives.
            mechanism.setdefault("data", {})["frames_omitted"] = list(omitted)
            self.size += len(str(omitted[0])) + len(str(omitted[1]))
        if frames:
            stacktrace: dict[str, Any] = {"frames": [self._frame(frame) for frame in frames]}
            if omitted:
                stacktrace["frames_omitted"] = self._scrubbed_at(
                    list(omitted), _FRAMES_OMITTED_PATH
                )
            value["stacktrace"] = stacktrace
        return value

    def _frame(self, frame: Frame) -> dict[str, Any]:
        sites = self.sites
        out: dict[str, Any] = {}
        field = self.limits.field
        if frame.function:
            out["function"] = self._put_cut(frame.function, field, sites.function)
        if frame.module:
            module = frame.module
            if len(module) > field or not module.isascii():
                module = self._field_left(module)
            out["module"] = self._put(module, sites.frame_module)
        if frame.filename:
            filename = frame.filename
            if len(filename) > field or not filename.isascii():
                filename = self._field_left(filename)
            out["filename"] = placed = self._put(filename, sites.filename)
            if "/" in filename or "\\" in filename:  # before scrubbing, as always
                if sites.abs_path is sites.filename:
                    out["abs_path"] = placed
                    self.size += len(placed) * 12 + 2
                else:  # one of the two is kept
                    out["abs_path"] = self._put(filename, sites.abs_path)
        lineno = frame.lineno
        if lineno is not None and 0 <= lineno < 2**32:
            out["lineno"] = lineno
        out["in_app"] = frame.in_app
        self.size += _FRAME_BYTES
        return out

    # -- tags, contexts, request, extra -------------------------------------------

    def _tags(self) -> dict[str, str]:
        error, context = self.error, self.error.context
        # Static tags first: a computed tag of the same name describes this error better.
        # The annotate rules' tags (team, severity, their own) come after the config's:
        # a rule that names this error's owner knows better than the fallback in [tags].
        pairs: tuple[tuple[str, str], ...] = (
            *self.settings.tags,
            *self.annotation.sentry_tags(),
            ("service", error.service),
            ("log_group", error.log_group),
            ("aws_account", error.account),
            ("aws_region", error.region),
            ("exception_type", error.exception_type),
            ("root_cause", error.root_cause_type),
            ("language", error.language),
            ("trace_id", context.trace_id),
            ("request_id", context.request_id),
            ("fingerprint_rule", self.item.rule),
        )
        tags: dict[str, str] = {}
        for key, value in pairs:
            if value:  # an empty value is never a tag
                clean_key, clean_value = self._tag(key, value)
                if clean_key and clean_value:
                    tags[clean_key] = clean_value
        self.size += sum(map(len, tags.values())) * 12 + len(tags) * (_ITEM_BYTES + 2)
        return tags

    def _tag(self, key: str, value: str) -> tuple[str, str]:
        """A tag as the scrubber's walk leaves it: its value kept, denied or scrubbed, then
        cut again (a mask can be longer than what it replaced)."""
        clean_key, clean_value = tag_key(key), tag_value(value)
        if not (clean_key and clean_value):
            return clean_key, clean_value
        scrubber = self.scrubber
        if not scrubber.enabled:
            return clean_key, clean_value
        if self.sites.tags_kept and scrubber.keeps(("tags", clean_key)):
            pass
        elif scrubber.denies(clean_key):
            clean_value = FILTERED
        else:
            clean_value = scrubber.scrub_text(clean_value)
        return clean_key, tag_value(clean_value)

    def _contexts(self) -> dict[str, dict[str, Any]]:
        error, limits, record, sites = self.error, self.limits, self.error.record, self.sites
        event_ids = record.event_ids
        if len(event_ids) > limits.event_ids:
            self.truncated = True
        field = limits.field
        kept_ids = [  # never scrubbed (ALWAYS_KEPT)
            i if len(i) <= field and i.isascii() else self._field(i)
            for i in event_ids[: limits.event_ids]
        ]
        self.size += sum(map(len, kept_ids)) * 12 + len(kept_ids) * (_ITEM_BYTES + 2)
        cloudwatch: dict[str, Any] = {
            "log_group": self._put(self._field(record.log_group), sites.log_group),
            "log_stream": self._put(self._field(record.log_stream), sites.log_stream),
            "event_ids": kept_ids,
            "event_count": len(event_ids),
        }
        if record.owner:
            cloudwatch["account"] = self._put(self._field(record.owner), sites.account)
        if record.region:
            cloudwatch["region"] = self._put(self._field(record.region), sites.region)
        if record.truncated:
            cloudwatch["record_truncated"] = True  # the assembler cut the entry, not us
        group, stream = record.log_group, record.log_stream
        if (
            record.timestamp > 0
            and group
            and stream
            and len(group) <= MAX_CLOUDWATCH_NAME_CHARS
            and len(stream) <= MAX_CLOUDWATCH_NAME_CHARS
        ):
            url = console_url(record.region, group, stream, record.timestamp)
            if url:
                cloudwatch["console_url"] = self._put(url, sites.console_url)
        contexts: dict[str, dict[str, Any]] = {"cloudwatch": cloudwatch}
        annotation = self.annotation
        if annotation.runbook:
            # Cut like a message: a variable such as {{ message_template }} can be long.
            contexts["runbook"] = {
                "url": self._put(self._text(annotation.runbook), sites.runbook_url),
                "rule": self._put(self._field(annotation.runbook_rule), sites.runbook_rule),
            }
        trace = parse_trace_id(error.context.trace_id) if error.context.trace_id else None
        if trace is not None:
            trace_id, span_id = trace
            # Relay requires a span id; without one, take it from the event id as Relay does.
            contexts["trace"] = {
                "type": "trace",
                "trace_id": trace_id,
                "span_id": span_id or self.identifier[:16],
            }
        return contexts

    def _request(self, context: RequestContext) -> dict[str, Any]:
        sites = self.sites
        request: dict[str, Any] = {}
        url = _CONTROL.sub("", context.url).strip()
        if url:
            request["url"] = self._put(self._text(url), sites.url)
        method = context.http_method.strip().upper()
        if _HTTP_METHOD.fullmatch(method):
            request["method"] = self._put(method, sites.method)
        user_agent = one_line(context.user_agent).strip()
        if user_agent:
            request["headers"] = {
                "User-Agent": self._put(self._field(user_agent), sites.user_agent)
            }
        return request

    def _extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {
            key: self._text(value) if isinstance(value, str) else value
            for key, value in self.extra.items()
        }
        limit = min(self.limits.raw_log, self.settings.max_raw_log)
        raw_log = self._cut(self.error.raw_text, limit)
        if extra:
            extra["raw_log"] = raw_log
            if self.truncated:
                extra["logship_truncated"] = True
            scrubbed: dict[str, Any] = self._scrubbed_at(extra, _EXTRA_PATH)
            return scrubbed
        # The builder's own entries: keys no denylist holds, a string and a boolean.
        extra["raw_log"] = self._put(raw_log, self.sites.raw_log)
        if self.truncated:
            extra["logship_truncated"] = True
        return extra


def _trim(
    items: tuple[_T, ...], head: int, tail: int
) -> tuple[tuple[_T, ...], tuple[int, int] | None]:
    """:func:`trim_middle` as (items kept, indices left out), with no record to build
    when nothing is left out (nearly always)."""
    if len(items) <= head + tail:
        return items, None
    trimmed = trim_middle(items, head, tail)
    return trimmed.items, trimmed.omitted


def _split_type(type_: str, language: str) -> tuple[str, str]:
    """(type, module): ``java.net.Timeout`` becomes (``Timeout``, ``java.net``).

    As Sentry's own SDKs report them, only for languages whose types are dotted
    paths (a Ruby ``A::B`` or a Go ``*errors.errorString`` stays whole).
    """
    if language in _DOTTED_TYPE_LANGUAGES and _DOTTED_TYPE.fullmatch(type_):
        module, _, name = type_.rpartition(".")
        return name, module
    return type_, ""


def _log_message(error: ParsedError) -> str:
    """The log message of a typed error, when it says more than the exception does."""
    message = error.message.strip()
    top = error.chain[0]
    if not message or message == top.message.strip() or _TRACE_HEADER.match(message):
        return ""
    if top.type and top.type in message and top.message.strip() in message:
        return ""  # the exception line itself ("Exception in thread "main" java.lang...")
    return message
