"""Routes: errors that ``[[route]]`` rules select, published to Amazon EventBridge as well.

An output beside the Sentry sink, fed by the same outcomes. Three parts:

- :func:`route_detail` (pure): the documented, versioned ``detail`` of one
  event, :data:`SCHEMA`, which answers who, when, where, what, why and how,
  scrubbed like a Sentry event (``docs/automation.md`` has the schema);
- :class:`RouteCollector`: one event per route rule and fingerprint per run,
  like flood control (:mod:`logship.flood`): the first occurrence's fields,
  the first and last timestamps and the count of the whole run;
- :class:`EventBridgePublisher`: ``PutEvents`` with at most
  :data:`MAX_ENTRIES_PER_CALL` entries a call, partial failures read entry by
  entry, throttling retried with :class:`logship.aws.Backoff` within a
  deadline, every entry accounted as published or failed with a reason.

Delivery is at least once. EventBridge has no idempotency key, so each event
carries ``logship_id``, a hash of the bus, the route rule, the fingerprint and
the first occurrence's Sentry event id: the same logs give the same id on every
retry and every replay, and consumers dedupe on it. A publisher never sends an
id it has already seen accepted (within one invocation, and across the
invocations of a warm Lambda container while it remembers them), but a retry
in a fresh container, or an entry whose acceptance was lost with its response,
is published again.

Its records (:class:`~logship.records.RouteEntry`,
:class:`~logship.records.RouteFailure`, :class:`~logship.records.PublishResult`)
are in :mod:`logship.records`.
"""

from __future__ import annotations

from ._detail import (
    MAX_ENTRIES_PER_CALL,
    SCHEMA,
    SOURCE,
    RouteCollector,
    route_detail,
    route_id,
)
from ._publish import (
    EventBridgePublisher,
    MemoryPublisher,
    Publisher,
    failed_batch_items,
)

__all__ = [
    "MAX_ENTRIES_PER_CALL",
    "SCHEMA",
    "SOURCE",
    "EventBridgePublisher",
    "MemoryPublisher",
    "Publisher",
    "RouteCollector",
    "failed_batch_items",
    "route_detail",
    "route_id",
]
