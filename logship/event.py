"""Build stage: a :class:`~logship.records.Fingerprinted` error becomes a Sentry event dict.

The dict follows Sentry's event payload (https://develop.sentry.dev/sdk/data-model/event-payloads/)
and is checked in the tests with Relay's own normalizer:

- a typed error is an ``exception`` interface, innermost first and outermost
  last as Sentry expects, each exception linked to its parent through
  ``mechanism.exception_id`` / ``parent_id`` / ``source``; an untyped error is a
  ``logentry`` with the message and its masked template;
- ``fingerprint``, ``level``, ``timestamp``, ``logger``, ``platform``,
  ``environment``, ``release`` and tags come from the error and the settings;
- the ``cloudwatch`` context says where the log is, with a console deep link;
  ``trace`` and ``request`` contexts carry what the log line said;
- ``event_id`` is derived from the log event, so a redelivered batch never
  creates a second event;
- the event is kept under Sentry's size limits by :mod:`logship.truncate`.

``server_name`` is never set: it would be the Lambda's host. sentry-sdk fills
``server_name``, ``environment`` and ``release`` from its client options when an
event lacks them, and adds the scope's ``trace`` context and tags, so the sender
must strip what the SDK adds (a ``before_send`` that pops ``server_name``) rather
than let it describe the Lambda instead of the service that logged the error.
The SDK also trims ``extra`` to ten keys of depth five: the builder keeps
``extra`` flat and small, and puts lists in contexts.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict
from urllib.parse import quote_plus

from .config import Config
from .exceptions import SettingsError
from .records import ExceptionInfo, Fingerprinted, Frame, ParsedError, Relation, RequestContext
from .scrub import DEFAULT_SCRUBBER, Scrubber, scrubber_for
from .truncate import (
    LEVELS,
    MAX_TAG_VALUE_CHARS,
    Limits,
    clean,
    cut,
    cut_left,
    shorten_key,
    trim_middle,
    within_budget,
)

__all__ = [
    "EVENT_ID_NAMESPACE",
    "PLATFORMS",
    "Event",
    "EventSettings",
    "build_event",
    "console_url",
    "event_id",
    "parse_trace_id",
    "platform_for",
    "tag_key",
    "tag_value",
]


class Event(TypedDict, total=False):
    """A Sentry event payload, the subset logship fills (cf. ``sentry_sdk._types.Event``)."""

    event_id: str
    timestamp: float
    platform: str
    level: str
    logger: str
    fingerprint: list[str]
    environment: str
    release: str
    exception: dict[str, list[dict[str, Any]]]
    logentry: dict[str, str]
    tags: dict[str, str]
    contexts: dict[str, dict[str, Any]]
    request: dict[str, Any]
    extra: dict[str, Any]


# Never change it: event ids derived under another namespace would make every
# redelivered batch after a deploy a second event.
EVENT_ID_NAMESPACE = uuid.UUID("e8aea230-07b8-492f-a050-8d9cb4294a60")

# logship's language names (``Trace.language``) to Sentry platform names.
PLATFORMS: Mapping[str, str] = {
    "java": "java",
    "kotlin": "java",
    "scala": "java",
    "python": "python",
    "node": "node",
    "javascript": "node",
    "go": "go",
    "dotnet": "csharp",
    "csharp": "csharp",
    "ruby": "ruby",
    "php": "php",
}

SENTRY_LEVELS = frozenset({"fatal", "error", "warning", "info", "debug"})

MAX_TAG_KEY_CHARS = 32  # Sentry's documented tag key limit
MAX_LOGGER_CHARS = 64  # Relay trims longer logger names
MAX_FINGERPRINT_PART_CHARS = 256  # fixed, so a key never depends on how an event was cut
MAX_CLOUDWATCH_NAME_CHARS = 512  # CloudWatch's own limit for group and stream names
CONSOLE_WINDOW_MS = 60_000  # the deep link shows a minute either side of the error
# Timestamps Relay accepts: after the epoch and before the year 10000.
_MAX_TIMESTAMP_MS = 253_402_300_800_000

# Exception types printed as "package.Class": split into Sentry's module and type.
_DOTTED_TYPE_LANGUAGES = frozenset({"java", "kotlin", "scala", "python", "dotnet", "csharp"})
_DOTTED_TYPE = re.compile(r"[\w$]+(?:\.[\w$]+)+")
# Types whose instances hold other exceptions: group members attach to these.
_GROUP_TYPE = re.compile(r"(?:ExceptionGroup|AggregateError|AggregateException)\Z")
# First lines that only announce a trace: not worth a message beside the exception.
_TRACE_HEADER = re.compile(
    r"(?:Traceback \(most recent call last\):|Exception Group Traceback|Unhandled exception\.)"
)
_TAG_KEY_INVALID = re.compile(r"[^A-Za-z0-9_.:-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_HTTP_METHOD = re.compile(r"[A-Z_-]{3,32}")  # what Relay accepts as request.method
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX16 = re.compile(r"[0-9a-f]{16}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")
_XRAY_ROOT = re.compile(r"1-([0-9a-f]{8})-([0-9a-f]{24})")
# Characters past a cut that are scrubbed before it: a secret straddling the cut
# is seen whole (a PEM key is 1.7 to 3.3 KB) and no prefix of it survives the cut.
SCRUB_MARGIN = 4096


@dataclass(frozen=True, slots=True)
class EventSettings:
    """What every event of a run shares. Validated on creation: Sentry drops bad values."""

    environment: str = ""
    release: str = ""
    tags: tuple[tuple[str, str], ...] = ()  # static tags for every event
    environments: tuple[tuple[str, str], ...] = ()  # (AWS account id, environment)
    max_raw_log: int = 8192  # characters of the raw log text kept in ``extra.raw_log``
    # Applied to every event as the builder's last step (logship.scrub).
    scrubber: Scrubber = field(default=DEFAULT_SCRUBBER, compare=False, repr=False)

    def __post_init__(self) -> None:
        _check_environment(self.environment, "environment")
        for account, environment in self.environments:
            _check_environment(environment, f"environments[{account!r}]")
        _check_release(self.release)
        if self.max_raw_log < 0:
            raise SettingsError(f"max_raw_log must not be negative, got {self.max_raw_log}")

    @classmethod
    def from_config(
        cls, config: Config, *, environment: str = "", release: str = "", max_raw_log: int = 8192
    ) -> EventSettings:
        """Settings with the static tags, account environments and scrubber of ``config``."""
        return cls(
            environment=environment,
            release=release,
            tags=config.tags,
            environments=config.environments,
            max_raw_log=max_raw_log,
            scrubber=scrubber_for(config),
        )

    def environment_for(self, account: str) -> str:
        """The environment of an AWS account: its mapping, else the default.

        The mapping wins: one function can receive the logs of several accounts
        (a cross-account subscription), each one a stage of its own.
        """
        for account_id, environment in self.environments:
            if account_id == account:
                return environment
        return self.environment


def build_event(
    item: Fingerprinted, settings: EventSettings, extra: Mapping[str, object] | None = None
) -> Event:
    """The Sentry event for ``item``, within Sentry's size limits.

    ``extra`` adds JSON-serializable entries to the event's ``extra`` (flood
    control's ``logship_suppressed``, say); string values are cut like messages;
    ``raw_log`` and ``logship_truncated`` are the
    builder's own and win over entries of the same name.

    The last step is ``settings.scrubber``: every string of the event,
    ``extra`` included, is scrubbed of secrets before the event is returned, so
    nothing built here leaves the process unscrubbed. The fingerprint was
    computed earlier from masked templates, and scrubbing does not change it.
    """
    raw_text = item.error.raw_text
    identifier = event_id(item.error)
    event: Event = {}
    for limits in LEVELS:
        event = _Builder(
            item,
            settings=settings,
            limits=limits,
            identifier=identifier,
            raw_text=raw_text,
            extra=extra or {},
        ).event()
        event = _scrubbed(event, settings.scrubber)
        if within_budget(event):
            return event
    return event  # the last level is small by construction; the tests hold it to that


def event_id(error: ParsedError) -> str:
    """A UUID (32 hex digits, as Sentry wants) derived from where the error was logged.

    (log group, log stream, first event id) names one CloudWatch event; a
    redelivered batch gives the same ids, and Sentry keeps the first event of
    an id. Without event ids the time and the text stand in.
    """
    record = error.record
    parts = [record.log_group, record.log_stream, record.event_ids[0] if record.event_ids else ""]
    if not record.event_ids:
        parts += [str(record.timestamp), record.text]
    name = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    # uuid.uuid5 itself, but over bytes: a lone surrogate must not crash it.
    digest = hashlib.sha1(EVENT_ID_NAMESPACE.bytes + name, usedforsecurity=False).digest()
    return uuid.UUID(bytes=digest[:16], version=5).hex


def platform_for(language: str) -> str:
    """Sentry's platform for a logship language name; ``other`` when unknown."""
    return PLATFORMS.get(language.lower(), "other")


def console_url(region: str, log_group: str, log_stream: str, timestamp_ms: int) -> str:
    """The CloudWatch console page of ``log_stream`` a minute either side of ``timestamp_ms``.

    The console's fragment router wants each path part URI-encoded twice and
    the query separators encoded once, then every "%" written as "$":
    ``/aws/lambda/x`` becomes ``$252Faws$252Flambda$252Fx`` and ``?start=`` becomes
    ``$3Fstart$3D``. Returns "" when the region is not a region name.
    """
    if not _REGION.fullmatch(region):
        return ""
    if region.startswith("cn-"):
        host = "console.amazonaws.cn"
    elif region.startswith("us-gov-"):
        host = "console.amazonaws-us-gov.com"
    else:
        host = f"{region}.console.aws.amazon.com"
    start, end = timestamp_ms - CONSOLE_WINDOW_MS, timestamp_ms + CONSOLE_WINDOW_MS
    return (
        f"https://{host}/cloudwatch/home?region={region}"
        f"#logsV2:log-groups/log-group/{_console_escape(log_group)}"
        f"/log-events/{_console_escape(log_stream)}"
        f"$3Fstart$3D{start}$26end$3D{end}"
    )


def parse_trace_id(value: str) -> tuple[str, str] | None:
    """(trace id, span id or "") in Sentry's form, or None when ``value`` is no trace id.

    Accepts 32 hex digits, a UUID, a W3C ``traceparent`` and an AWS X-Ray id
    (``1-5759e988-bd862e3fe1be46a994272793``, bare or as
    ``Root=...;Parent=...``); X-Ray's two hex parts make the 32 digits, as
    OpenTelemetry's X-Ray propagator does.
    """
    text = value.strip().lower()
    trace, span = "", ""
    if match := _TRACEPARENT.fullmatch(text):
        trace, span = match[1], match[2]
    elif match := _XRAY_ROOT.fullmatch(text):
        trace = match[1] + match[2]
    elif "root=" in text:
        fields = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
        root = _XRAY_ROOT.fullmatch(fields.get("root", "").strip())
        if root:
            trace = root[1] + root[2]
            parent = fields.get("parent", "").strip()
            span = parent if _HEX16.fullmatch(parent) else ""
    elif _HEX32.fullmatch(text) or _UUID.fullmatch(text):
        trace = text.replace("-", "")
    if not trace or not trace.strip("0"):
        return None  # all zeros is W3C's "no trace"
    return trace, span if span.strip("0") else ""


def tag_key(key: str) -> str:
    """``key`` as a valid Sentry tag key: letters, digits, ``_.:-``, 32 characters at most."""
    return _TAG_KEY_INVALID.sub("_", key)[:MAX_TAG_KEY_CHARS]


def tag_value(value: str) -> str:
    """``value`` as a valid Sentry tag value: one line, 200 characters at most."""
    return cut(_CONTROL.sub(" ", value).strip(), MAX_TAG_VALUE_CHARS)


class _Builder:
    """Builds one event under one :class:`Limits` level and notes whether it cut anything."""

    def __init__(
        self,
        item: Fingerprinted,
        *,
        settings: EventSettings,
        limits: Limits,
        identifier: str,
        raw_text: str,
        extra: Mapping[str, object],
    ) -> None:
        self.item = item
        self.error = item.error
        self.settings = settings
        self.limits = limits
        self.identifier = identifier
        self.raw_text = raw_text
        self.extra = extra
        self.truncated = False

    def event(self) -> Event:
        error = self.error
        event: Event = {
            "event_id": self.identifier,
            "platform": platform_for(error.language),
            "level": error.level if error.level in SENTRY_LEVELS else "error",
        }
        if self.item.fingerprint:
            event["fingerprint"] = [
                shorten_key(part, MAX_FINGERPRINT_PART_CHARS) for part in self.item.fingerprint
            ]
        if 0 < error.timestamp < _MAX_TIMESTAMP_MS:
            event["timestamp"] = error.timestamp / 1000
        logger = _CONTROL.sub(" ", error.logger).strip()
        if logger:
            event["logger"] = cut_left(logger, MAX_LOGGER_CHARS)
        environment = self.settings.environment_for(error.account)
        if environment:
            event["environment"] = environment
        if self.settings.release:
            event["release"] = self.settings.release

        if error.chain:
            event["exception"] = {"values": self._exceptions()}
            message = _log_message(error)
            if message:
                event["logentry"] = {"formatted": self._text(message)}
        else:
            logentry = {"formatted": self._text(error.message.strip()) or "(empty error line)"}
            if self.item.message_template:
                logentry["message"] = self._text(self.item.message_template)
            event["logentry"] = logentry

        event["tags"] = self._tags()
        event["contexts"] = self._contexts()
        request = self._request(error.context)
        if request:
            event["request"] = request
        event["extra"] = self._extra()  # last: it reports whether anything was cut
        return event

    # -- strings ----------------------------------------------------------------

    def _text(self, text: str) -> str:
        return self._cut(text, self.limits.text)

    def _field(self, text: str) -> str:
        return self._cut(text, self.limits.field)

    def _field_left(self, text: str) -> str:
        if len(text) > self.limits.field:
            self.truncated = True
            text = self.settings.scrubber.scrub_text(text[-(self.limits.field + SCRUB_MARGIN) :])
        return cut_left(text, self.limits.field)

    def _cut(self, text: str, limit: int) -> str:
        if len(text) > limit:
            self.truncated = True
            # Scrubbed before the cut, or a cut secret could leave a prefix the
            # scrubber no longer recognizes (half a card number).
            text = self.settings.scrubber.scrub_text(text[: limit + SCRUB_MARGIN])
        return cut(text, limit)

    # -- exceptions -------------------------------------------------------------

    def _exceptions(self) -> list[dict[str, Any]]:
        """Chain then related exceptions, outermost first, reversed at the end for Sentry."""
        error, limits = self.error, self.limits
        handled = error.level != "fatal"
        chain = trim_middle(error.chain, limits.exceptions_head, limits.exceptions_tail)
        entries: list[dict[str, Any]] = []
        for index, exc in enumerate(chain.items):
            mechanism: dict[str, Any] = {"type": "logship", "handled": handled}
            mechanism["exception_id"] = index
            if index:
                mechanism["parent_id"] = index - 1
                if exc.relation is not None:
                    mechanism["source"] = exc.relation.value
            if chain.omitted and index == chain.omitted[0]:
                # Its real parent was cut out: say how many links are missing above it.
                mechanism["data"] = {"exceptions_omitted": chain.omitted_count}
                self.truncated = True
            entries.append(self._exception(exc, mechanism))

        related = error.related[: limits.related]
        group_parent = next(
            (i for i, exc in enumerate(chain.items) if _GROUP_TYPE.search(exc.type)), 0
        )
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
        type_, module = _split_type(exc.type.strip(), self.error.language)
        value: dict[str, Any] = {"type": self._field_left(type_) or "Error"}
        if module:
            value["module"] = self._field_left(module)
        if exc.message:
            value["value"] = self._text(exc.message)
        value["mechanism"] = mechanism

        frames = trim_middle(exc.frames, self.limits.frames_head, self.limits.frames_tail)
        omitted: tuple[int, int] | None = None
        if frames.omitted:
            # Indices count the frames the runtime left out ("... 12 more") first.
            start, end = frames.omitted
            omitted = (exc.frames_omitted + start, exc.frames_omitted + end)
            self.truncated = True
        elif exc.frames_omitted:
            omitted = (0, exc.frames_omitted)
        if omitted:
            # Relay drops ``frames_omitted`` from the stacktrace; mechanism data survives.
            mechanism.setdefault("data", {})["frames_omitted"] = list(omitted)
        if frames.items:
            stacktrace: dict[str, Any] = {"frames": [self._frame(f) for f in frames.items]}
            if omitted:
                stacktrace["frames_omitted"] = list(omitted)
            value["stacktrace"] = stacktrace
        return value

    def _frame(self, frame: Frame) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if frame.function:
            out["function"] = self._field(frame.function)
        if frame.module:
            out["module"] = self._field_left(frame.module)
        if frame.filename:
            filename = self._field_left(frame.filename)
            out["filename"] = filename
            if "/" in filename or "\\" in filename:
                out["abs_path"] = filename
        if frame.lineno is not None and 0 <= frame.lineno < 2**32:
            out["lineno"] = frame.lineno
        out["in_app"] = frame.in_app
        return out

    # -- tags, contexts, request, extra -------------------------------------------

    def _tags(self) -> dict[str, str]:
        error, context = self.error, self.error.context
        tags: dict[str, str] = {}
        # Static tags first: a computed tag of the same name describes this error better.
        pairs: Sequence[tuple[str, str]] = (
            *self.settings.tags,
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
        for key, value in pairs:
            clean_key, clean_value = tag_key(key), tag_value(value)
            if clean_key and clean_value:
                tags[clean_key] = clean_value
        return tags

    def _contexts(self) -> dict[str, dict[str, Any]]:
        error, limits = self.error, self.limits
        event_ids = error.event_ids
        if len(event_ids) > limits.event_ids:
            self.truncated = True
        cloudwatch: dict[str, Any] = {
            "log_group": self._field(error.log_group),
            "log_stream": self._field(error.log_stream),
            "event_ids": [self._field(i) for i in event_ids[: limits.event_ids]],
            "event_count": len(event_ids),
        }
        if error.account:
            cloudwatch["account"] = self._field(error.account)
        if error.region:
            cloudwatch["region"] = self._field(error.region)
        if error.record.truncated:
            cloudwatch["record_truncated"] = True  # the assembler cut the entry, not us
        if (
            error.timestamp > 0
            and error.log_group
            and error.log_stream
            and len(error.log_group) <= MAX_CLOUDWATCH_NAME_CHARS
            and len(error.log_stream) <= MAX_CLOUDWATCH_NAME_CHARS
        ):
            url = console_url(error.region, error.log_group, error.log_stream, error.timestamp)
            if url:
                cloudwatch["console_url"] = url
        contexts: dict[str, dict[str, Any]] = {"cloudwatch": cloudwatch}
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
        request: dict[str, Any] = {}
        url = _CONTROL.sub("", context.url).strip()
        if url:
            request["url"] = self._text(url)
        method = context.http_method.strip().upper()
        if _HTTP_METHOD.fullmatch(method):
            request["method"] = method
        user_agent = _CONTROL.sub(" ", context.user_agent).strip()
        if user_agent:
            request["headers"] = {"User-Agent": self._field(user_agent)}
        return request

    def _extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {
            key: self._text(value) if isinstance(value, str) else value
            for key, value in self.extra.items()
        }
        limit = min(self.limits.raw_log, self.settings.max_raw_log)
        extra["raw_log"] = self._cut(self.raw_text, limit)
        if self.truncated:
            extra["logship_truncated"] = True
        return extra


def _scrubbed(event: Event, scrubber: Scrubber) -> Event:
    """``event`` through ``scrubber``; tags cut again (a mask can be longer than its match)."""
    if not scrubber.enabled:
        return event
    scrubbed: Any = scrubber.scrub_event(event)
    tags = scrubbed.get("tags")
    if tags:
        scrubbed["tags"] = {key: tag_value(value) for key, value in tags.items()}
    result: Event = scrubbed
    return result


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


def _console_escape(text: str) -> str:
    return quote_plus(quote_plus(clean(text))).replace("%", "$")


def _check_environment(value: str, name: str) -> None:
    # Sentry's rules for environment names; Relay drops an event field that breaks them.
    if not value:
        return
    if len(value) > 64 or value == "None" or re.search(r"[\s/]", value):
        raise SettingsError(
            f"{name} {value!r} is not a valid Sentry environment: at most 64 characters,"
            " no spaces, newlines or slashes, not 'None'"
        )


def _check_release(value: str) -> None:
    if not value:
        return
    if (
        len(value) > 200
        or value in {".", "..", "latest"}
        or value != value.strip()
        or re.search(r"[\x00-\x1f\x7f/\\]", value)
    ):
        raise SettingsError(
            f"release {value!r} is not a valid Sentry release: at most 200 characters,"
            " no newlines, tabs or slashes, not '.', '..' or 'latest'"
        )
