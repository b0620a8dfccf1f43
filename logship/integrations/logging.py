"""stdlib ``logging``: the in-process fingerprint on records, and JSON lines the shipper reads.

::

    import logging, sys
    from logship.integrations.logging import ErrorFingerprintFilter, JsonFormatter

    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(ErrorFingerprintFilter(service="orders"))
    handler.setFormatter(JsonFormatter(service="orders"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])

:class:`ErrorFingerprintFilter` adds ``error_fingerprint`` and
``error_root_cause`` attributes to records that carry an exception, for any
formatter or handler to use. :class:`JsonFormatter` writes one JSON object per
record, on one line (CloudWatch's awslogs driver makes one event per line),
with the fields the shipper reads: ``level``, ``message``, ``logger``,
``service``, ``exception`` (the traceback as ``logging`` prints it),
``error_fingerprint`` and ``error_root_cause``, plus the record's ``extra``
fields (a ``request_id`` or ``trace_id`` there becomes the event's context).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from logship.config import Config
from logship.inprocess import (
    EXCEPTION_FIELD,
    FINGERPRINT_FIELD,
    LEVEL_FIELD,
    LOGGER_FIELD,
    MESSAGE_FIELD,
    ROOT_CAUSE_FIELD,
    SERVICE_FIELD,
    ExceptionFingerprinter,
    exception_from,
)
from logship.records import Fingerprinted

# logging's own attributes, so that only what the caller passed in ``extra``
# is written as additional JSON fields.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "taskName", FINGERPRINT_FIELD, ROOT_CAUSE_FIELD, SERVICE_FIELD}
)

_log = logging.getLogger(__name__)


def level_name(record: logging.LogRecord) -> str:
    """``ERROR`` -> ``error``: the level names the shipper compares."""
    return record.levelname.lower()


class ErrorFingerprintFilter(logging.Filter):
    """Adds ``error_fingerprint`` (a list) and ``error_root_cause`` to records with an exception.

    It never drops a record and never raises: a record whose exception cannot
    be fingerprinted is passed on without the attributes. Attach it to the
    handler (a filter on a logger does not see records propagated from its
    children).
    """

    def __init__(
        self,
        service: str,
        config: Config | None = None,
        name: str = "",
        *,
        log_group: str = "",
        account: str = "",
    ) -> None:
        super().__init__(name)
        self.fingerprinter = ExceptionFingerprinter(
            service, config, log_group=log_group, account=account
        )

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = exception_from(record.exc_info)
        if exc_info is not None and getattr(record, FINGERPRINT_FIELD, None) is None:
            fingerprinter = self.fingerprinter
            _annotate(
                record,
                lambda: fingerprinter.fingerprinted(
                    exc_info[1],
                    tb=exc_info[2],
                    message=record.getMessage(),
                    logger=record.name,
                    level=level_name(record),
                ),
            )
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, in the layout the shipper parses best.

    With a ``service`` it fingerprints exceptions itself, so it works without
    :class:`ErrorFingerprintFilter`; with the filter installed it reuses the
    attributes the filter added.
    """

    def __init__(
        self,
        service: str,
        config: Config | None = None,
        *,
        log_group: str = "",
        account: str = "",
    ) -> None:
        super().__init__()
        self.service = service
        self.fingerprinter = ExceptionFingerprinter(
            service, config, log_group=log_group, account=account
        )

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            LEVEL_FIELD: level_name(record),
            LOGGER_FIELD: record.name,
            MESSAGE_FIELD: record.getMessage(),
            SERVICE_FIELD: self.service,
        }
        exception_text = self.exception_text(record)
        if exception_text:
            document[EXCEPTION_FIELD] = exception_text
        if record.stack_info:
            document["stack_info"] = self.formatStack(record.stack_info)
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and key not in document:
                document[key] = value
        if exception_text:
            if getattr(record, FINGERPRINT_FIELD, None) is None:
                # The document as it will be written: what the shipper will parse.
                _annotate(record, lambda: self.fingerprinter.fingerprinted_document(document))
            for name in (FINGERPRINT_FIELD, ROOT_CAUSE_FIELD):
                value = getattr(record, name, None)
                if value is not None:
                    document[name] = value
        return json.dumps(document, default=str, ensure_ascii=False)

    def exception_text(self, record: logging.LogRecord) -> str:
        """The traceback as ``logging`` prints it, cached as ``Formatter.format`` caches it."""
        exc_info = exception_from(record.exc_info)
        if exc_info is None:
            return record.exc_text or ""
        if not record.exc_text:
            record.exc_text = self.formatException(exc_info)
        return record.exc_text


def _annotate(record: logging.LogRecord, compute: Callable[[], Fingerprinted]) -> None:
    """Set the fingerprint attributes on ``record`` from ``compute()``, never raising."""
    try:
        item = compute()
    except Exception as exc:
        # A logging call must never fail because of us; the record still
        # carries its traceback, only the fingerprint is missing. No exc_info
        # here: this record would come back through the same filter.
        _log.debug("logship could not fingerprint a logged exception: %r", exc)
        return
    setattr(record, FINGERPRINT_FIELD, list(item.fingerprint))
    setattr(record, ROOT_CAUSE_FIELD, item.error.root_cause_type)
