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
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypedDict, TypeVar
from urllib.parse import quote_plus

from .config import Config
from .exceptions import SettingsError
from .records import ExceptionInfo, Fingerprinted, Frame, ParsedError, Relation, RequestContext
from .scrub import DEFAULT_SCRUBBER, FILTERED, Scrubber, scrubber_for
from .truncate import (
    LEVELS,
    MAX_TAG_VALUE_CHARS,
    Limits,
    clean,
    cut,
    cut_left,
    json_bound,
    scalar_json_bound,
    shorten_key,
    surely_fits,
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
_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes

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


class _Memo:
    """A memo bounded in entries and in weight (about the characters it holds).

    Emptied when either bound is reached: hostile input (every stack new and
    full of kilobyte-long frames) costs memos, never memory.
    """

    __slots__ = ("entries", "weight")

    MAX_ENTRIES = 8192
    MAX_WEIGHT = 4_000_000

    def __init__(self) -> None:
        self.entries: dict[Hashable, Any] = {}
        self.weight = 0

    def put(self, key: Hashable, value: Any, weight: int) -> None:
        if len(self.entries) >= self.MAX_ENTRIES or self.weight + weight > self.MAX_WEIGHT:
            self.entries.clear()
            self.weight = 0
        self.entries[key] = value
        self.weight += weight


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
    # What the builder made of parts that come back event after event (tags,
    # stacks, names), with these settings: see _Builder._memoized.
    _memo: _Memo = field(default_factory=_Memo, init=False, compare=False, repr=False)

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
    error = item.error
    raw_text = error.raw_text
    identifier = event_id(error)
    scrubber = settings.scrubber
    # Scrubbing each string as it is placed gives what scrubbing the finished event
    # gives (the scrubber is a function of each string, and of the key above it,
    # which the builder knows): one pass instead of two, and the builder bounds the
    # event's size as it goes. Only a scrubber with ``keep`` paths of its own,
    # which the builder does not track, scrubs the finished event.
    inline = scrubber.keeps_only_defaults
    event: Event = {}
    for limits in LEVELS:
        builder = _Builder(
            item,
            settings=settings,
            limits=limits,
            identifier=identifier,
            raw_text=raw_text,
            extra=extra or {},
            inline=inline,
        )
        event = builder.event()
        if not inline:
            event = _scrubbed(event, scrubber)
        elif builder.sized and surely_fits(builder.size):
            return event
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
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    # What uuid.UUID(bytes=..., version=5) sets: the version nibble and the RFC 4122 variant.
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return digest.hex()


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
    key = (region, log_group, log_stream)
    prefix = _CONSOLE_PREFIXES.get(key)
    if prefix is None:
        prefix = _console_prefix(*key)
        if len(log_group) + len(log_stream) <= _MEMO_CHARS:
            _remember(_CONSOLE_PREFIXES, key, prefix)
    if not prefix:
        return ""
    start, end = timestamp_ms - CONSOLE_WINDOW_MS, timestamp_ms + CONSOLE_WINDOW_MS
    return f"{prefix}$3Fstart$3D{start}$26end$3D{end}"


def _console_prefix(region: str, log_group: str, log_stream: str) -> str:
    """:func:`console_url` up to the time window, "" when the region is not a region name."""
    if not _REGION.fullmatch(region):
        return ""
    if region.startswith("cn-"):
        host = "console.amazonaws.cn"
    elif region.startswith("us-gov-"):
        host = "console.amazonaws-us-gov.com"
    else:
        host = f"{region}.console.aws.amazon.com"
    return (
        f"https://{host}/cloudwatch/home?region={region}"
        f"#logsV2:log-groups/log-group/{_console_escape(log_group)}"
        f"/log-events/{_console_escape(log_stream)}"
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
    known = _TAG_KEYS.get(key)
    if known is None:
        known = _TAG_KEY_INVALID.sub("_", key)[:MAX_TAG_KEY_CHARS]
        if len(key) <= _MEMO_CHARS:
            _remember(_TAG_KEYS, key, known)
    return known


def tag_value(value: str) -> str:
    """``value`` as a valid Sentry tag value: one line, 200 characters at most."""
    known = _TAG_VALUES.get(value)
    if known is None:
        known = cut(_one_line(value).strip(), MAX_TAG_VALUE_CHARS)
        if len(value) <= _MEMO_CHARS:
            _remember(_TAG_VALUES, value, known)
    return known


# Results of pure functions of strings that come back event after event (tag
# keys and values, console links of a stream), each memo emptied when full.
_MEMO_SIZE = 4096
_MEMO_CHARS = 256  # results for longer inputs are not remembered
_TAG_KEYS: dict[str, str] = {}
_TAG_VALUES: dict[str, str] = {}
_CONSOLE_PREFIXES: dict[tuple[str, str, str], str] = {}

_A = TypeVar("_A")
_K = TypeVar("_K")
_R = TypeVar("_R")
_T = TypeVar("_T")


def _remember(memo: dict[_K, str], key: _K, value: str) -> None:
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = value


def _one_line(text: str) -> str:
    """``text`` with each run of control characters as one space."""
    # A printable string holds no control character: no regex to run.
    return text if text.isprintable() else _CONTROL.sub(" ", text)


# JSON bytes of an event's structure beside its strings (keys, punctuation,
# numbers, booleans), at least what the largest instance of each part takes. The
# builder adds them to the bound of each string it places; the tests hold the
# resulting bound to the real size.
_EVENT_BYTES = 2048  # top-level fields, logentry, contexts, request and extra keys
_EXCEPTION_BYTES = 512  # an exception's keys and mechanism, beside its frames
_FRAME_BYTES = 128  # a frame's keys, line number and in_app
_ITEM_BYTES = 64  # a fingerprint part, an event id, or a tag (its key is 32 characters at most)

# Paths of the event scrubbed as a whole by the scrubber's own walk.
_EXTRA_PATH = ("extra",)
# Memo keys (see _Builder._memoized) are tuples led by one of these.
_TAGS, _TYPE, _NAMES, _FINGERPRINT, _FRAMES = "tags", "type", "names", "fingerprint", "frames"
_FRAMES_OMITTED_PATH = ("exception", "values", "stacktrace", "frames_omitted")


def _unchanged(text: str) -> str:
    return text


class _Builder:
    """Builds one event under one :class:`Limits` level and notes whether it cut anything.

    With ``inline``, every string is scrubbed as it is placed (``_put``), with
    what the scrubber's walk of the finished event would make of it; decisions
    about a string (is it empty, does it hold a "/") are made before scrubbing,
    as they were when the finished event was scrubbed. ``size`` bounds the
    bytes of the event's JSON, unless ``sized`` is False (the caller's
    ``extra`` holds something only serializing can measure).
    """

    __slots__ = (
        "error",
        "extra",
        "identifier",
        "inline",
        "item",
        "limits",
        "memo",
        "raw_text",
        "recall",
        "recut_tags",
        "scrub",
        "scrubber",
        "settings",
        "size",
        "sized",
        "truncated",
    )

    def __init__(
        self,
        item: Fingerprinted,
        *,
        settings: EventSettings,
        limits: Limits,
        identifier: str,
        raw_text: str,
        extra: Mapping[str, object],
        inline: bool = False,
    ) -> None:
        self.item = item
        self.error = item.error
        self.settings = settings
        self.limits = limits
        self.identifier = identifier
        self.raw_text = raw_text
        self.extra = extra
        self.truncated = False
        self.inline = inline
        scrubber = settings.scrubber
        self.scrubber = scrubber
        self.scrub: Callable[[str], str] = scrubber.scrub_text if inline else _unchanged
        self.recut_tags = inline and scrubber.enabled  # as _scrubbed does
        self.memo = settings._memo
        self.recall = settings._memo.entries.get  # the memo's lookup, without a method call
        self.size = _EVENT_BYTES
        self.sized = True

    def event(self) -> Event:
        error = self.error
        event: Event = {
            "event_id": self.identifier,
            "platform": platform_for(error.language),
            "level": error.level if error.level in SENTRY_LEVELS else "error",
        }
        fingerprint = self.item.fingerprint
        if fingerprint:
            key = (_FINGERPRINT, fingerprint)
            chars = partial(sum, map(len, fingerprint))
            event["fingerprint"] = list(self._memoized(key, self._fingerprint, fingerprint, chars))
        if 0 < error.timestamp < _MAX_TIMESTAMP_MS:
            event["timestamp"] = error.timestamp / 1000
        logger = _one_line(error.logger).strip()
        if logger:
            event["logger"] = self._put(cut_left(logger, MAX_LOGGER_CHARS))
        environment = self.settings.environment_for(error.account)
        if environment:
            event["environment"] = self._put(environment)
        if self.settings.release:
            event["release"] = self._put(self.settings.release)

        if error.chain:
            event["exception"] = {"values": self._exceptions()}
            message = _log_message(error)
            if message:
                event["logentry"] = {"formatted": self._put(self._text(message))}
        else:
            formatted = self._text(error.message.strip()) or "(empty error line)"
            logentry = {"formatted": self._put(formatted)}
            if self.item.message_template:
                logentry["message"] = self._put(self._text(self.item.message_template))
            event["logentry"] = logentry

        event["tags"] = self._tags()
        event["contexts"] = self._contexts()
        request = self._request(error.context)
        if request:
            event["request"] = request
        event["extra"] = self._extra()  # last: it reports whether anything was cut
        return event

    def _fingerprint(self, parts: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(
            self._put(shorten_key(part, MAX_FINGERPRINT_PART_CHARS), _ITEM_BYTES) for part in parts
        )

    # -- strings ----------------------------------------------------------------

    def _put(self, text: str, structure: int = 0) -> str:
        """``text`` as it goes into the event (scrubbed when inline), counted in ``size``."""
        text = self.scrub(text)
        # json_bound(text), inline: this runs for every string of the event.
        self.size += (6 if text.isascii() else 12) * len(text) + 2 + structure
        return text

    def _put_cut(self, text: str, limit: int) -> str:
        """``_put(_cut(text, limit))``, without the calls for a short ASCII string."""
        if len(text) > limit or not text.isascii():
            text = self._cut(text, limit)
        text = self.scrub(text)
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

    def _memoized(
        self,
        key: Hashable,
        build: Callable[[_A], _R],
        arg: _A,
        key_chars: Callable[[], int] | None = None,
    ) -> _R:
        """``build(arg)``, built once per ``key`` with these settings when inline.

        ``key`` holds everything ``build`` reads (the limits it uses, say). The
        memo keeps what was built and the size it added, and replays them; the
        result is shared, so the caller copies what is mutable. What the memo
        holds weighs the JSON bound of what was built, and the key as much
        again unless ``build`` cut a long input (then nothing is remembered) or
        ``key_chars()`` says more (inputs cut without a mark, such as tags).
        """
        if not self.inline:
            return build(arg)  # unscrubbed strings: not what the memo holds
        known = self.recall(key)
        if known is not None:
            self.size += known[1]
            result: _R = known[0]
            return result
        size, truncated = self.size, self.truncated
        self.size, self.truncated = 0, False
        built = build(arg)
        if not self.truncated:
            weight = 2 * self.size + (key_chars() if key_chars is not None else 0)
            self.memo.put(key, (built, self.size), weight)
        self.size += size
        self.truncated = self.truncated or truncated
        return built

    def _scrubbed_at(self, value: Any, path: tuple[str, ...]) -> Any:
        """``value`` scrubbed by the scrubber's own walk when inline, and counted."""
        if not self.inline:
            return value
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
        self.size += _EXCEPTION_BYTES
        type_key = (_TYPE, exc.type, self.error.language, self.limits.field)
        type_, module = self._memoized(type_key, self._type, exc.type)
        value: dict[str, Any] = {"type": type_}
        if module:
            value["module"] = module
        if exc.message:
            value["value"] = self._put(self._text(exc.message))
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
            # A service's stacks come back event after event: each is built once.
            frames_key = (_FRAMES, frames, self.limits.field)
            placed = self._memoized(frames_key, self._frames, frames)
            stacktrace: dict[str, Any] = {"frames": [dict(frame) for frame in placed]}
            if omitted:
                stacktrace["frames_omitted"] = self._scrubbed_at(
                    list(omitted), _FRAMES_OMITTED_PATH
                )
            value["stacktrace"] = stacktrace
        return value

    def _type(self, type_: str) -> tuple[str, str]:
        """(type, module) of an exception as placed; module "" when there is none."""
        name, module = _split_type(type_.strip(), self.error.language)
        placed = self._put(self._field_left(name) or "Error")
        return placed, self._put(self._field_left(module)) if module else ""

    def _frames(self, frames: tuple[Frame, ...]) -> tuple[dict[str, Any], ...]:
        """The frames as placed; shared by the memo, so each event copies them."""
        return tuple(self._frame(frame) for frame in frames)

    def _frame(self, frame: Frame) -> dict[str, Any]:
        out: dict[str, Any] = {}
        field = self.limits.field
        if frame.function:
            out["function"] = self._put_cut(frame.function, field)
        if frame.module:
            module = frame.module
            if len(module) > field or not module.isascii():
                module = self._field_left(module)
            out["module"] = self._put(module)
        if frame.filename:
            filename = frame.filename
            if len(filename) > field or not filename.isascii():
                filename = self._field_left(filename)
            out["filename"] = placed = self._put(filename)
            if "/" in filename or "\\" in filename:  # before scrubbing, as always
                out["abs_path"] = placed
                self.size += len(placed) * 12 + 2
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
        shared: tuple[tuple[str, str], ...] = (
            *self.settings.tags,
            ("service", error.service),
            ("log_group", error.log_group),
            ("aws_account", error.account),
            ("aws_region", error.region),
            ("exception_type", error.exception_type),
            ("root_cause", error.root_cause_type),
            ("language", error.language),
        )
        own = (
            ("trace_id", context.trace_id),
            ("request_id", context.request_id),
            ("fingerprint_rule", self.item.rule),
        )
        if not self.inline:
            tags: dict[str, str] = {}
            for key, value in (*shared, *own):
                clean_key, clean_value = tag_key(key), tag_value(value)
                if clean_key and clean_value:
                    tags[clean_key] = clean_value
            return tags
        # The tags a service's errors share are placed once; assigning the error's
        # own ones after them keeps the order and the overriding of one dict.
        chars = partial(_chars, shared)
        tags = dict(self._memoized((_TAGS, shared), self._tag_dict, shared, chars))
        for key, value in own:
            if value:  # an empty value is never a tag
                clean_key, clean_value = self._tag(key, value)
                if clean_key and clean_value:
                    tags[clean_key] = clean_value
                    self.size += len(clean_value) * 12 + _ITEM_BYTES + 2
        return tags

    def _tag_dict(self, pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
        tags: dict[str, str] = {}
        for key, value in pairs:
            clean_key, clean_value = self._tag(key, value)
            if clean_key and clean_value:
                tags[clean_key] = clean_value
        self.size += sum(map(len, tags.values())) * 12 + len(tags) * (_ITEM_BYTES + 2)
        return tags

    def _tag(self, key: str, value: str) -> tuple[str, str]:
        """A tag as :func:`_scrubbed` leaves it: its value denied, or scrubbed and cut again."""
        clean_key, clean_value = tag_key(key), tag_value(value)
        if clean_key and clean_value:
            if self.scrubber.denies(clean_key):
                clean_value = FILTERED
            else:
                clean_value = self.scrub(clean_value)
                if self.recut_tags:
                    clean_value = tag_value(clean_value)
        return clean_key, clean_value

    def _contexts(self) -> dict[str, dict[str, Any]]:
        error, limits, record = self.error, self.limits, self.error.record
        event_ids = record.event_ids
        if len(event_ids) > limits.event_ids:
            self.truncated = True
        field = limits.field
        kept_ids = [  # never scrubbed (ALWAYS_KEPT)
            i if len(i) <= field and i.isascii() else self._field(i)
            for i in event_ids[: limits.event_ids]
        ]
        self.size += sum(map(len, kept_ids)) * 12 + len(kept_ids) * (_ITEM_BYTES + 2)
        names = (record.log_group, record.log_stream, record.owner, record.region)
        log_group, log_stream, account, region = self._memoized(
            (_NAMES, *names, field), self._names, names
        )
        cloudwatch: dict[str, Any] = {
            "log_group": log_group,
            "log_stream": log_stream,
            "event_ids": kept_ids,
            "event_count": len(event_ids),
        }
        if account:
            cloudwatch["account"] = account
        if region:
            cloudwatch["region"] = region
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
                cloudwatch["console_url"] = self._put(url)
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

    def _names(self, names: tuple[str, str, str, str]) -> tuple[str, str, str, str]:
        """Log group, stream, account and region as placed ("" for an empty account or region)."""
        log_group, log_stream, account, region = names
        return (
            self._put(self._field(log_group)),
            self._put(self._field(log_stream)),
            self._put(self._field(account)) if account else "",
            self._put(self._field(region)) if region else "",
        )

    def _request(self, context: RequestContext) -> dict[str, Any]:
        request: dict[str, Any] = {}
        url = _CONTROL.sub("", context.url).strip()
        if url:
            request["url"] = self._put(self._text(url))
        method = context.http_method.strip().upper()
        if _HTTP_METHOD.fullmatch(method):
            request["method"] = self._put(method)
        user_agent = _one_line(context.user_agent).strip()
        if user_agent:
            request["headers"] = {"User-Agent": self._put(self._field(user_agent))}
        return request

    def _extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {
            key: self._text(value) if isinstance(value, str) else value
            for key, value in self.extra.items()
        }
        limit = min(self.limits.raw_log, self.settings.max_raw_log)
        raw_log = self._cut(self.raw_text, limit)
        if extra:
            extra["raw_log"] = raw_log
            if self.truncated:
                extra["logship_truncated"] = True
            scrubbed: dict[str, Any] = self._scrubbed_at(extra, _EXTRA_PATH)
            return scrubbed
        # The builder's own entries: keys no denylist holds, a string and a boolean.
        extra["raw_log"] = self._put(raw_log)
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


def _chars(pairs: tuple[tuple[str, str], ...]) -> int:
    return sum(len(key) + len(value) for key, value in pairs)


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
