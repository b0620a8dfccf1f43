"""sentry-sdk: give in-process events the fingerprint and tags the shipper gives the logs.

::

    import sentry_sdk
    from logship.integrations.sentry import LogshipIntegration

    sentry_sdk.init(dsn=..., integrations=[LogshipIntegration(service="orders")])

or, for a service that already has its own ``before_send``::

    from logship.integrations.sentry import make_before_send

    sentry_sdk.init(dsn=..., before_send=make_before_send(service="orders", then=my_hook))

For every event with an exception (``hint["exc_info"]``), ``fingerprint`` is
set to :func:`logship.inprocess.fingerprint_exception`'s result and the tags
``service``, ``exception_type`` and ``root_cause`` to the values the shipper
puts on the events it builds from the logs, so both land in one issue. An
explicit fingerprint the service set itself (other than ``{{ default }}``) is
kept. Nothing here ever raises into the host: on any internal error the event
goes on unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sentry_sdk
from sentry_sdk.integrations import Integration
from sentry_sdk.scope import add_global_event_processor
from sentry_sdk.utils import logger as sentry_logger

from logship.config import Config
from logship.event import MAX_FINGERPRINT_PART_CHARS, tag_key, tag_value
from logship.inprocess import ExceptionFingerprinter, exception_from, tags_for
from logship.truncate import shorten_key

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

    BeforeSend = Callable[[Event, Hint], Event | None]

# What sentry-sdk's default grouping looks like in an event's fingerprint.
_DEFAULT_FINGERPRINTS: tuple[list[str], ...] = ([], ["{{ default }}"], ["{{default}}"])


class LogshipIntegration(Integration):
    """A sentry-sdk integration applying logship's fingerprint to error events.

    The event processor is registered once per process (sentry-sdk calls
    :meth:`setup_once` once); it acts only for clients configured with this
    integration, each with its own service and config.
    """

    identifier = "logship"

    def __init__(
        self,
        service: str,
        config: Config | None = None,
        *,
        log_group: str = "",
        account: str = "",
    ) -> None:
        self.fingerprinter = ExceptionFingerprinter(
            service, config, log_group=log_group, account=account
        )

    @staticmethod
    def setup_once() -> None:
        add_global_event_processor(_process_event)


def make_before_send(
    *,
    service: str,
    config: Config | None = None,
    log_group: str = "",
    account: str = "",
    then: BeforeSend | None = None,
) -> BeforeSend:
    """A ``before_send`` hook applying logship's fingerprint, then ``then`` if given.

    ``service``, ``config``, ``log_group`` and ``account`` are as for
    :class:`logship.inprocess.ExceptionFingerprinter`.
    """
    fingerprinter = ExceptionFingerprinter(service, config, log_group=log_group, account=account)

    def before_send(event: Event, hint: Hint) -> Event | None:
        event = apply_fingerprint(event, hint, fingerprinter)
        return then(event, hint) if then is not None else event

    return before_send


def apply_fingerprint(
    event: Event, hint: Hint | None, fingerprinter: ExceptionFingerprinter
) -> Event:
    """Set ``event``'s fingerprint and tags from the exception in ``hint``; never raises."""
    try:
        return _apply(event, hint, fingerprinter)
    except Exception:
        sentry_logger.debug("logship could not fingerprint an event", exc_info=True)
        return event


def _process_event(event: Event, hint: Hint) -> Event | None:
    integration = sentry_sdk.get_client().get_integration(LogshipIntegration)
    if integration is None:
        return event
    return apply_fingerprint(event, hint, integration.fingerprinter)


def _apply(event: Event, hint: Hint | None, fingerprinter: ExceptionFingerprinter) -> Event:
    exc_info = exception_from((hint or {}).get("exc_info"))
    if exc_info is None:
        return event
    if event.get("fingerprint") not in (None, *_DEFAULT_FINGERPRINTS):
        return event
    message, logger, level = _log_call(event, hint or {})
    item = fingerprinter.fingerprinted(
        exc_info[1], tb=exc_info[2], message=message, logger=logger, level=level
    )
    # Everything is computed before the event is touched, so a failure above
    # leaves it exactly as sentry-sdk built it.
    # Parts and tags are cut exactly as logship.event cuts them in the events it
    # builds from the logs: a long message template must give the same key.
    fingerprint = [shorten_key(part, MAX_FINGERPRINT_PART_CHARS) for part in item.fingerprint]
    merged = dict(event.get("tags") or {})
    for key, value in tags_for(item).items():
        clean_key, clean_value = tag_key(key), tag_value(value)
        if clean_key and clean_value:
            merged[clean_key] = clean_value
    event["fingerprint"] = fingerprint
    event["tags"] = merged
    return event


def _log_call(event: Event, hint: Hint) -> tuple[str, str, str]:
    """The message, logger and level of the log call behind ``event``, for rule matching.

    Events from sentry-sdk's logging integration carry the record in the
    hint; ``capture_exception`` events have no message of their own.
    """
    record: Any = hint.get("log_record")
    if record is not None:
        return str(record.getMessage()), str(record.name), str(record.levelname).lower()
    logentry = event.get("logentry") or {}
    message = logentry.get("formatted") or logentry.get("message") or ""
    return str(message), str(event.get("logger", "")), str(event.get("level", "error"))
