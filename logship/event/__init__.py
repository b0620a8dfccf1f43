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
- the event is kept under Sentry's size limits by :mod:`logship.truncate`;
- every string is scrubbed of secrets (:mod:`logship.scrub`) as it is placed.

``server_name`` is never set: it would be the Lambda's host. sentry-sdk fills
``server_name``, ``environment`` and ``release`` from its client options when an
event lacks them, and adds the scope's ``trace`` context and tags, so the sender
must strip what the SDK adds (a ``before_send`` that pops ``server_name``) rather
than let it describe the Lambda instead of the service that logged the error.
The SDK also trims ``extra`` to ten keys of depth five: the builder keeps
``extra`` flat and small, and puts lists in contexts.

The modules: ``_builder`` (the one build path: top-level fields, the levels of
cuts), ``_placer`` (each string cut, scrubbed and counted in the size bound),
``_exception`` (the exception interface and its frames), ``_contexts`` (tags,
contexts, request), ``_settings`` (:class:`EventSettings`, the scrubbing of each
field), ``_tags`` (tag keys and values), ``_ids`` (event ids, platforms, trace
ids, console links).
"""

from logship.event._builder import MAX_FINGERPRINT_PART_CHARS, SENTRY_LEVELS, build_event
from logship.event._ids import (
    CONSOLE_WINDOW_MS,
    EVENT_ID_NAMESPACE,
    PLATFORMS,
    console_url,
    event_id,
    parse_trace_id,
    platform_for,
)
from logship.event._placer import SCRUB_MARGIN
from logship.event._settings import Event, EventSettings, ScrubSites
from logship.event._tags import MAX_TAG_KEY_CHARS, tag_key, tag_value

__all__ = [
    "CONSOLE_WINDOW_MS",
    "EVENT_ID_NAMESPACE",
    "MAX_FINGERPRINT_PART_CHARS",
    "MAX_TAG_KEY_CHARS",
    "PLATFORMS",
    "SCRUB_MARGIN",
    "SENTRY_LEVELS",
    "Event",
    "EventSettings",
    "ScrubSites",
    "build_event",
    "console_url",
    "event_id",
    "parse_trace_id",
    "platform_for",
    "tag_key",
    "tag_value",
]
