"""The detail of a route's EventBridge event, and one event per route rule and fingerprint.

Pure apart from :class:`RouteCollector`'s counting; :mod:`logship.route` tells the
whole story.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from logship._time import iso
from logship.event import console_url, event_id
from logship.records import NO_ANNOTATION, Annotation, Fingerprinted, RouteEntry, RouteFailure
from logship.scrub import DEFAULT_SCRUBBER, Scrubber, scrubber_for
from logship.truncate import clean, cut, shorten_key

if TYPE_CHECKING:
    from logship.config import Config


SCHEMA = "logship.error/1"  # a new major number when a field changes meaning or goes away
SOURCE = "logship"  # the events' ``source``
MAX_ENTRIES_PER_CALL = 10  # PutEvents' limit
MAX_REQUEST_BYTES = 256 * 1024  # PutEvents' limit on a request's entries, as AWS sizes them
_TIME_BYTES = 14  # what AWS counts for an entry's Time field, set or not

# Bounds on the detail's texts: far below the request limit, even for ten
# entries of four-byte characters, and enough for a person or a rule to act on.
MAX_MESSAGE_CHARS = 2048
MAX_TEMPLATE_CHARS = 1024
MAX_TITLE_CHARS = 256
MAX_CAUSE_MESSAGE_CHARS = 1024
MAX_CAUSES = 10  # the outermost exceptions and the root cause are kept, the middle left out
MAX_TYPES = 20
MAX_FINGERPRINT_PART_CHARS = 256  # as logship.event cuts them, so both say the same
# Fields that are ids or times: scrubbing must never touch them (cf. scrub.ALWAYS_KEPT).
_NEVER_SCRUBBED = ("schema", "logship_id", "sentry_event_id", "first_seen", "last_seen")


def route_id(bus: str, rule: str, fingerprint: Sequence[str], first_event_id: str) -> str:
    """The event's ``logship_id``: 32 hex digits, the same for the same logs every time.

    ``first_event_id`` is the Sentry event id of the fingerprint's first
    occurrence in the run, itself derived from the CloudWatch event.
    """
    key = "\x1e".join((bus, rule, "\x1f".join(fingerprint), first_event_id))
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def route_detail(
    item: Fingerprinted,
    *,
    rule: str,
    logship_id: str,
    annotation: Annotation = NO_ANNOTATION,
    count: int = 1,
    first_timestamp: int | None = None,
    last_timestamp: int | None = None,
    environment: str = "",
    scrubber: Scrubber = DEFAULT_SCRUBBER,
) -> dict[str, Any]:
    """The ``detail`` of the EventBridge event for ``item`` (schema :data:`SCHEMA`).

    ``count`` errors of ``item``'s fingerprint were seen between
    ``first_timestamp`` and ``last_timestamp`` (milliseconds since the epoch;
    default ``item``'s own); ``item`` is the first of them. ``environment`` is
    the one its Sentry event gets. Every string but ids and times goes through
    ``scrubber``, as the Sentry event's do. Absent values are ``null``.
    """
    error = item.error
    first = error.timestamp if first_timestamp is None else first_timestamp
    last = first if last_timestamp is None else last_timestamp
    frame = error.top_in_app_frame
    chain = error.chain
    if len(chain) > MAX_CAUSES:
        chain = (*chain[: MAX_CAUSES // 2], *chain[-(MAX_CAUSES - MAX_CAUSES // 2) :])
    detail: dict[str, Any] = {
        "schema": SCHEMA,
        "logship_id": logship_id,
        "route": rule,
        "count": count,
        # who
        "service": error.service,
        "team": annotation.team or None,
        "account": error.account or None,
        "region": error.region or None,
        "environment": environment or None,
        # when
        "first_seen": iso(first),
        "last_seen": iso(last),
        # where
        "log_group": error.log_group,
        "log_stream": error.log_stream,
        # The first error's own minute: its stream is the one named above.
        "console_url": (
            console_url(error.region, error.log_group, error.log_stream, error.timestamp) or None
        ),
        "culprit": (
            {
                "function": frame.function,
                "module": frame.module or None,
                "filename": frame.filename or None,
                "lineno": frame.lineno,
            }
            if frame is not None
            else None
        ),
        # what
        "level": error.level,
        "severity": annotation.severity or None,
        "logger": error.logger or None,
        "types": [cut(exc.type, MAX_TITLE_CHARS) for exc in error.chain[:MAX_TYPES]],
        "title": cut(item.title, MAX_TITLE_CHARS),
        "message": cut(error.message, MAX_MESSAGE_CHARS),
        "message_template": cut(item.message_template, MAX_TEMPLATE_CHARS),
        "fingerprint": [shorten_key(p, MAX_FINGERPRINT_PART_CHARS) for p in item.fingerprint],
        "fingerprint_rule": item.rule or None,
        "sentry_event_id": event_id(error),
        # why: outermost first, the root cause last
        "cause_chain": [
            {
                "type": cut(exc.type, MAX_TITLE_CHARS),
                "message": cut(exc.message, MAX_CAUSE_MESSAGE_CHARS),
            }
            for exc in chain
        ],
        "causes_omitted": len(error.chain) - len(chain),
        # how
        "runbook": annotation.runbook or None,
        "runbook_rule": annotation.runbook_rule or None,
        "annotate_rules": list(annotation.rules),
        "tags": dict(annotation.tags),
        "request_id": error.context.request_id or None,
        "trace_id": error.context.trace_id or None,
    }
    scrubbed = scrubber.scrub_event(detail)
    for key in _NEVER_SCRUBBED:
        scrubbed[key] = detail[key]
    return scrubbed


# --- one event per route rule and fingerprint ------------------------------------------


def put_events_entry(entry: RouteEntry) -> dict[str, Any]:
    """``entry`` as ``PutEvents`` takes it."""
    return {
        "Source": SOURCE,
        "DetailType": entry.detail_type,
        "Detail": entry.detail,
        "EventBusName": entry.bus,
    }


def entry_size(entry: RouteEntry) -> int:
    """``entry``'s size as AWS counts it against the 256 KB of a request."""
    return (
        _TIME_BYTES
        + len(SOURCE)
        + len(entry.detail_type.encode("utf-8"))
        + len(entry.detail.encode("utf-8"))
    )


@dataclass(slots=True)
class _Group:
    """The first occurrence of one (route rule, fingerprint) in a run, and the count."""

    item: Fingerprinted
    annotation: Annotation
    first: int
    last: int
    count: int = 1
    batch_items: dict[str, None] = field(default_factory=dict)  # ordered, no repeats


class RouteCollector:
    """Gathers a run's routed errors into one event per route rule and fingerprint.

    Feed it every outcome that is shipped (sampled ones too) *before* flood
    control, so that the count covers what Sentry was spared::

        routes = RouteCollector(config, environment=settings.environment)
        for outcome in outcomes:
            routes.add(outcome.item, outcome.annotation, outcome.routes)
            ...
        entries = routes.entries()          # at the end of the run

    It holds one error per (rule, fingerprint). ``environment`` is the default
    environment, for accounts ``config.environments`` does not name.
    """

    def __init__(
        self, config: Config, *, environment: str = "", scrubber: Scrubber | None = None
    ) -> None:
        self.config = config
        self.environment = environment
        self.scrubber = scrubber if scrubber is not None else scrubber_for(config)
        self._groups: dict[tuple[str, tuple[str, ...]], _Group] = {}
        self.failures: list[RouteFailure] = []  # events that could not be built

    def add(self, item: Fingerprinted, annotation: Annotation, routes: Iterable[str]) -> None:
        """Count ``item`` for each of its ``routes`` (rule names)."""
        record = item.error.record
        for rule in routes:
            key = (rule, item.fingerprint)
            group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = _Group(
                    item, annotation, record.timestamp, record.timestamp
                )
            else:
                group.count += 1
                group.first = min(group.first, record.timestamp)
                group.last = max(group.last, record.timestamp)
            group.batch_items.update(dict.fromkeys(record.batch_items))

    def counts(self) -> Counter[str]:
        """Events each route rule would publish: what a dry run reports."""
        return Counter(rule for rule, _ in self._groups)

    def entries(self) -> list[RouteEntry]:
        """One entry per (rule, fingerprint), in the order each was first seen.

        A group whose event cannot be built (its rule is gone from the config,
        or building raised) becomes a :class:`RouteFailure` in ``failures``
        instead: one bad error never stops the others.
        """
        entries: list[RouteEntry] = []
        for (rule_name, _), group in self._groups.items():
            try:
                entries.append(self._entry(rule_name, group))
            except Exception as exc:  # one unbuildable event must not stop the run
                self.failures.append(
                    RouteFailure(
                        "",
                        rule_name,
                        f"could not build the event: {type(exc).__name__}: {exc}",
                        tuple(group.batch_items),
                        group.count,
                    )
                )
        self._groups.clear()
        return entries

    def _entry(self, rule_name: str, group: _Group) -> RouteEntry:
        rule = self.config.route_rule(rule_name)
        if rule is None:
            raise LookupError(f"no route rule {rule_name!r} in {self.config.source}")
        error = group.item.error
        identifier = route_id(
            rule.eventbridge_bus, rule.name, group.item.fingerprint, event_id(error)
        )
        detail = route_detail(
            group.item,
            rule=rule.name,
            logship_id=identifier,
            annotation=group.annotation,
            count=group.count,
            first_timestamp=group.first,
            last_timestamp=group.last,
            environment=self.config.environment_for(error.account) or self.environment,
            scrubber=self.scrubber,
        )
        return RouteEntry(
            logship_id=identifier,
            rule=rule.name,
            bus=rule.eventbridge_bus,
            detail_type=rule.detail_type,
            # clean(): a lone surrogate from a CloudWatch payload would make the entry
            # unencodable, and EventBridge refuses it.
            detail=clean(json.dumps(detail, ensure_ascii=False, separators=(",", ":"))),
            errors=group.count,
            batch_items=tuple(group.batch_items),
        )
