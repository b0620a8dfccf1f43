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

The parts: strings placed, cut and counted by :mod:`._placer`, the exception
interface by :mod:`._exception`, tags, contexts and request by
:mod:`._contexts`; here the top-level fields, ``logentry`` and ``extra``, and
the levels of cuts tried until the event fits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from logship import __version__
from logship.records import NO_ANNOTATION, Annotation, Fingerprinted, ParsedError
from logship.truncate import LEVELS, Limits, cut_left, shorten_key, surely_fits, within_budget

from ._contexts import event_contexts, event_request, event_tags
from ._exception import exception_values
from ._ids import event_id, platform_for
from ._placer import ITEM_BYTES, Placer
from ._settings import Event, EventSettings
from ._tags import one_line

__all__ = [
    "MAX_FINGERPRINT_PART_CHARS",
    "SENTRY_LEVELS",
    "build_event",
    "event_at_level",
]

SENTRY_LEVELS = frozenset({"fatal", "error", "warning", "info", "debug"})

MAX_LOGGER_CHARS = 64  # Relay trims longer logger names
MAX_FINGERPRINT_PART_CHARS = 256  # fixed, so a key never depends on how an event was cut
# Timestamps Relay accepts: after the epoch and before the year 10000.
_MAX_TIMESTAMP_MS = 253_402_300_800_000
SDK_NAME = "logship"
# First lines that only announce a trace: not worth a message beside the exception.
_TRACE_HEADER = re.compile(
    r"(?:Traceback \(most recent call last\):|Exception Group Traceback|Unhandled exception\.)"
)
# A path of the event scrubbed as a whole by the scrubber's own walk.
_EXTRA_PATH = ("extra",)


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
        event, placer = event_at_level(
            item, settings, limits, identifier, extra or {}, annotation=annotation
        )
        if placer.sized and surely_fits(placer.size):
            return event
        if within_budget(event):
            return event
    return event  # the last level is small by construction; the tests hold it to that


def event_at_level(
    item: Fingerprinted,
    settings: EventSettings,
    limits: Limits,
    identifier: str,
    extra: Mapping[str, object],
    *,
    annotation: Annotation = NO_ANNOTATION,
) -> tuple[Event, Placer]:
    """The event for ``item`` under one :class:`Limits` level, and its :class:`Placer`
    (whether anything was cut, and the bound of the event's JSON size)."""
    placer = Placer(limits, settings.scrubber)
    error, sites = item.error, settings.sites
    event: Event = {
        "event_id": identifier,
        "platform": platform_for(error.language),
        "level": error.level if error.level in SENTRY_LEVELS else "error",
        # Who sent it: Sentry shows it, and a search on sdk.name finds what logship made.
        "sdk": {"name": SDK_NAME, "version": __version__},
    }
    fingerprint = item.fingerprint
    if fingerprint:
        event["fingerprint"] = [
            placer.put(shorten_key(part, MAX_FINGERPRINT_PART_CHARS), sites.fingerprint)
            for part in fingerprint
        ]
        placer.size += ITEM_BYTES * len(fingerprint)
    if 0 < error.timestamp < _MAX_TIMESTAMP_MS:
        event["timestamp"] = error.timestamp / 1000
    logger = one_line(error.logger).strip()
    if logger:
        event["logger"] = placer.put(cut_left(logger, MAX_LOGGER_CHARS), sites.logger)
    environment = settings.environment_for(error.account)
    if environment:
        event["environment"] = placer.put(environment, sites.environment)
    if settings.release:
        event["release"] = placer.put(settings.release, sites.release)

    if error.chain:
        event["exception"] = {"values": exception_values(placer, error, sites)}
        message = _log_message(error)
        if message:
            event["logentry"] = {"formatted": placer.put(placer.text(message), sites.formatted)}
    else:
        formatted = placer.text(error.message.strip()) or "(empty error line)"
        logentry = {"formatted": placer.put(formatted, sites.formatted)}
        if item.message_template:
            logentry["message"] = placer.put(placer.text(item.message_template), sites.message)
        event["logentry"] = logentry

    event["tags"] = event_tags(placer, item, settings, annotation)
    event["contexts"] = event_contexts(placer, error, annotation, identifier, sites)
    request = event_request(placer, error.context, sites)
    if request:
        event["request"] = request
    # Last: it reports whether anything was cut.
    event["extra"] = _extra(placer, extra, error, settings)
    return event, placer


def _extra(
    placer: Placer, extra_in: Mapping[str, object], error: ParsedError, settings: EventSettings
) -> dict[str, Any]:
    extra: dict[str, Any] = {
        key: placer.text(value) if isinstance(value, str) else value
        for key, value in extra_in.items()
    }
    limit = min(placer.limits.raw_log, settings.max_raw_log)
    raw_log = placer.cut(error.raw_text, limit)
    if extra:
        extra["raw_log"] = raw_log
        if placer.truncated:
            extra["logship_truncated"] = True
        scrubbed: dict[str, Any] = placer.scrubbed_at(extra, _EXTRA_PATH)
        return scrubbed
    # The builder's own entries: keys no denylist holds, a string and a boolean.
    extra["raw_log"] = placer.put(raw_log, settings.sites.raw_log)
    if placer.truncated:
        extra["logship_truncated"] = True
    return extra


def _log_message(error: ParsedError) -> str:
    """The log message of a typed error, when it says more than the exception does."""
    message = error.message.strip()
    top = error.chain[0]
    if not message or message == top.message.strip() or _TRACE_HEADER.match(message):
        return ""
    if top.type and top.type in message and top.message.strip() in message:
        return ""  # the exception line itself ("Exception in thread "main" java.lang...")
    return message
