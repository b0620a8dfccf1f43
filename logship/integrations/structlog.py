"""structlog: a processor that fingerprints logged exceptions and renders them for the shipper.

::

    import structlog
    from logship.integrations.structlog import AddErrorFingerprint

    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            AddErrorFingerprint(service="orders"),
            structlog.processors.JSONRenderer(),
        ]
    )

:class:`AddErrorFingerprint` takes the place of ``format_exc_info`` /
``dict_tracebacks`` in the chain: for an event dict that carries ``exc_info``
it writes ``exception`` (the traceback as Python prints it, the field the
shipper's structured parser reads), ``error_fingerprint`` (a list) and
``error_root_cause``, and sets ``service`` unless the event has one.
"""

from __future__ import annotations

from structlog.typing import EventDict, WrappedLogger

from logship.config import Config
from logship.inprocess import (
    EXCEPTION_FIELD,
    FINGERPRINT_FIELD,
    ROOT_CAUSE_FIELD,
    SERVICE_FIELD,
    ExceptionFingerprinter,
    exception_from,
    format_exception,
)


class AddErrorFingerprint:
    """Fingerprint the exception of an event dict and render it as the shipper reads it.

    Configured once per service; ``__init__`` binds the service and config so
    each call only formats and parses one traceback. It never raises: if the
    exception cannot be fingerprinted the event is still logged, with its
    traceback and without the fingerprint fields.
    """

    __slots__ = ("fingerprinter", "service")

    def __init__(
        self,
        service: str,
        config: Config | None = None,
        *,
        log_group: str = "",
        account: str = "",
    ) -> None:
        self.service = service
        self.fingerprinter = ExceptionFingerprinter(
            service, config, log_group=log_group, account=account
        )

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        # Popped even when empty, as structlog's own ExceptionRenderer does, so
        # that no later renderer prints the exception a second time.
        exc_info = exception_from(event_dict.pop("exc_info", None))
        if exc_info is None:
            return event_dict
        text = format_exception(exc_info[1], exc_info[2])
        event_dict[EXCEPTION_FIELD] = text
        event_dict.setdefault(SERVICE_FIELD, self.service)
        try:
            # The fields as the renderer will write them: the parser then reads
            # the message, logger, level and service the shipper will read.
            item = self.fingerprinter.fingerprinted_document(event_dict)
        except Exception:
            # A log call must never fail because of us: the traceback is
            # already in the event, only the fingerprint is missing.
            return event_dict
        event_dict[FINGERPRINT_FIELD] = list(item.fingerprint)
        event_dict[ROOT_CAUSE_FIELD] = item.error.root_cause_type
        return event_dict


add_error_fingerprint = AddErrorFingerprint
"""The processor under the snake_case name structlog's own processors use."""
