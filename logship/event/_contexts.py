"""What an event says beside its exception: its tags, its ``cloudwatch``, ``runbook`` and
``trace`` contexts and its ``request``, each string placed by the :class:`Placer`.
"""

from __future__ import annotations

import re
from typing import Any

from logship.records import Annotation, Fingerprinted, ParsedError, RequestContext
from logship.scrub import FILTERED

from ._ids import console_url, parse_trace_id
from ._placer import ITEM_BYTES, Placer
from ._settings import EventSettings, ScrubSites
from ._tags import one_line, tag_key, tag_value

MAX_CLOUDWATCH_NAME_CHARS = 512  # CloudWatch's own limit for group and stream names
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_HTTP_METHOD = re.compile(r"[A-Z_-]{3,32}")  # what Relay accepts as request.method


def event_tags(
    placer: Placer, item: Fingerprinted, settings: EventSettings, annotation: Annotation
) -> dict[str, str]:
    """The event's tags: the config's, the annotate rules', then those computed from the error."""
    error = item.error
    context = error.context
    # Static tags first: a computed tag of the same name describes this error better.
    # The annotate rules' tags (team, severity, their own) come after the config's:
    # a rule that names this error's owner knows better than the fallback in [tags].
    pairs: tuple[tuple[str, str], ...] = (
        *settings.tags,
        *annotation.sentry_tags(),
        ("service", error.service),
        ("log_group", error.log_group),
        ("aws_account", error.account),
        ("aws_region", error.region),
        ("exception_type", error.exception_type),
        ("root_cause", error.root_cause_type),
        ("language", error.language),
        ("trace_id", context.trace_id),
        ("request_id", context.request_id),
        ("fingerprint_rule", item.rule),
    )
    tags_kept = settings.sites.tags_kept
    tags: dict[str, str] = {}
    for key, value in pairs:
        if value:  # an empty value is never a tag
            clean_key, clean_value = _tag(placer, key, value, tags_kept=tags_kept)
            if clean_key and clean_value:
                tags[clean_key] = clean_value
    placer.size += sum(map(len, tags.values())) * 12 + len(tags) * (ITEM_BYTES + 2)
    return tags


def _tag(placer: Placer, key: str, value: str, *, tags_kept: bool) -> tuple[str, str]:
    """A tag as the scrubber's walk leaves it: its value kept, denied or scrubbed, then
    cut again (a mask can be longer than what it replaced)."""
    clean_key, clean_value = tag_key(key), tag_value(value)
    if not (clean_key and clean_value):
        return clean_key, clean_value
    scrubber = placer.scrubber
    if not scrubber.enabled:
        return clean_key, clean_value
    if tags_kept and scrubber.keeps(("tags", clean_key)):
        pass
    elif scrubber.denies(clean_key):
        clean_value = FILTERED
    else:
        clean_value = scrubber.scrub_text(clean_value)
    return clean_key, tag_value(clean_value)


def event_contexts(
    placer: Placer,
    error: ParsedError,
    annotation: Annotation,
    identifier: str,
    sites: ScrubSites,
) -> dict[str, dict[str, Any]]:
    """The ``cloudwatch`` context (where the log is), ``runbook`` and ``trace`` when known."""
    limits, record = placer.limits, error.record
    event_ids = record.event_ids
    if len(event_ids) > limits.event_ids:
        placer.truncated = True
    field = limits.field
    kept_ids = [  # never scrubbed (ALWAYS_KEPT)
        i if len(i) <= field and i.isascii() else placer.field(i)
        for i in event_ids[: limits.event_ids]
    ]
    placer.size += sum(map(len, kept_ids)) * 12 + len(kept_ids) * (ITEM_BYTES + 2)
    cloudwatch: dict[str, Any] = {
        "log_group": placer.put(placer.field(record.log_group), sites.log_group),
        "log_stream": placer.put(placer.field(record.log_stream), sites.log_stream),
        "event_ids": kept_ids,
        "event_count": len(event_ids),
    }
    if record.owner:
        cloudwatch["account"] = placer.put(placer.field(record.owner), sites.account)
    if record.region:
        cloudwatch["region"] = placer.put(placer.field(record.region), sites.region)
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
            cloudwatch["console_url"] = placer.put(url, sites.console_url)
    contexts: dict[str, dict[str, Any]] = {"cloudwatch": cloudwatch}
    if annotation.runbook:
        # Cut like a message: a variable such as {{ message_template }} can be long.
        contexts["runbook"] = {
            "url": placer.put(placer.text(annotation.runbook), sites.runbook_url),
            "rule": placer.put(placer.field(annotation.runbook_rule), sites.runbook_rule),
        }
    trace = parse_trace_id(error.context.trace_id) if error.context.trace_id else None
    if trace is not None:
        trace_id, span_id = trace
        # Relay requires a span id; without one, take it from the event id as Relay does.
        contexts["trace"] = {
            "type": "trace",
            "trace_id": trace_id,
            "span_id": span_id or identifier[:16],
        }
    return contexts


def event_request(placer: Placer, context: RequestContext, sites: ScrubSites) -> dict[str, Any]:
    """The ``request`` interface from what the log line said: URL, method, user agent."""
    request: dict[str, Any] = {}
    url = _CONTROL.sub("", context.url).strip()
    if url:
        request["url"] = placer.put(placer.text(url), sites.url)
    method = context.http_method.strip().upper()
    if _HTTP_METHOD.fullmatch(method):
        request["method"] = placer.put(method, sites.method)
    user_agent = one_line(context.user_agent).strip()
    if user_agent:
        request["headers"] = {"User-Agent": placer.put(placer.field(user_agent), sites.user_agent)}
    return request
