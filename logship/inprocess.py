"""In-process fingerprints: the key a live exception gets, identical to the log pipeline's.

A service that reports an exception to Sentry itself (sentry-sdk) and also logs
it must see both land in one Sentry issue, so the in-process event has to carry
the fingerprint that logship derives from the log line.

**How identity is guaranteed.** The exception is not described from the
exception objects; it goes through the very code the shipper runs on a log
line. It is formatted with :func:`traceback.format_exception` (the function
``logging`` and ``structlog`` use to print a traceback), placed in the JSON
document that the integrations' formatters write (:func:`error_document`), and
that document is parsed by :func:`logship.parse.parse_record`, fingerprinted by
:func:`logship.fingerprint.fingerprint` and passed through the config's
fingerprint rules. Building a :class:`~logship.records.ParsedError` from
``__cause__``/``__context__`` directly would be cheaper but would be a second
implementation of the Python parser (printed type names, ``<locals>`` in
qualified names, notes, ``SyntaxError``'s caret block, exception groups), and
every difference between the two would split an issue in Sentry without anyone
noticing.

The one value that does not come from the text is the service: the caller names
it, because in-process there is no log group to derive it from. It must be the
name the pipeline gives the service's logs (the ``service`` field of its JSON
lines, the ``[services]`` mapping, or the log group ``/ecs/<service>``).
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType

from .config import Config
from .exceptions import InputError
from .fingerprint import fingerprint
from .parse import parse_record
from .records import Fingerprinted, LogRecord
from .rules import decide

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

# Field names of the JSON document the integrations write, as the shipper's
# structured parser (logship.parse.structured) reads them.
LEVEL_FIELD = "level"
MESSAGE_FIELD = "message"
LOGGER_FIELD = "logger"
SERVICE_FIELD = "service"
EXCEPTION_FIELD = "exception"
FINGERPRINT_FIELD = "error_fingerprint"
ROOT_CAUSE_FIELD = "error_root_cause"

_DEFAULT_CONFIG = Config()


def format_exception(exc: BaseException, tb: TracebackType | None = None) -> str:
    """``exc`` printed as ``logging`` and ``structlog`` print it, without the final newline.

    ``tb`` defaults to the exception's own ``__traceback__``; pass the one of
    an ``exc_info`` triple when you have it.
    """
    trace = tb if tb is not None else exc.__traceback__
    return "".join(traceback.format_exception(type(exc), exc, trace)).rstrip("\n")


def error_document(
    *,
    exception_text: str,
    message: str = "",
    logger: str = "",
    level: str = "error",
    service: str = "",
) -> dict[str, str]:
    """The JSON fields the shipper reads for an error, in the integrations' layout."""
    document = {LEVEL_FIELD: level, MESSAGE_FIELD: message}
    if logger:
        document[LOGGER_FIELD] = logger
    if service:
        document[SERVICE_FIELD] = service
    document[EXCEPTION_FIELD] = exception_text
    return document


def exception_from(exc_info: object) -> ExcInfo | None:
    """Normalize what logging, structlog and sentry-sdk call ``exc_info``.

    Accepts an exception, an ``exc_info`` triple, or ``True`` (meaning the
    exception being handled now); returns None when there is no exception.
    """
    if isinstance(exc_info, BaseException):
        return type(exc_info), exc_info, exc_info.__traceback__
    if exc_info is True:
        return exception_from(sys.exc_info())
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        value = exc_info[1]
        trace = exc_info[2]
        if isinstance(value, BaseException) and (trace is None or isinstance(trace, TracebackType)):
            return type(value), value, trace
    return None


class ExceptionFingerprinter:
    """Fingerprints live exceptions of one service the way the log pipeline does.

    Build one per service (it binds the service and the config) and reuse it;
    :func:`fingerprint_exception` is the one-off form.

    ``log_group`` and ``account`` say where the service's logs go (the ECS
    task definition's ``awslogs-group``, the AWS account id); give them when
    fingerprint rules match on ``log_group``, ``account`` or ``environment``,
    which otherwise cannot match in-process.
    """

    __slots__ = ("_parse_config", "account", "config", "log_group", "service")

    def __init__(
        self,
        service: str,
        config: Config | None = None,
        *,
        log_group: str = "",
        account: str = "",
    ) -> None:
        if not service:
            raise ValueError("service must name the service, as the pipeline names its logs")
        self.service = service
        self.config = config if config is not None else _DEFAULT_CONFIG
        self.log_group = log_group
        self.account = account
        # No minimum level: a warning-level report gets its key too (whether to
        # send it is the caller's decision); "" ranks below every level.
        self._parse_config = replace(self.config, min_level="")

    def fingerprinted(
        self,
        exc: BaseException,
        *,
        tb: TracebackType | None = None,
        message: str = "",
        logger: str = "",
        level: str = "error",
    ) -> Fingerprinted:
        """The full result for ``exc``: fingerprint, title, parsed chain, matching rule.

        ``message``, ``logger`` and ``level`` are those of the log call that
        reports the exception, if any: fingerprint rules may match on them.
        """
        text = format_exception(exc, tb)
        return self.fingerprinted_text(text, message=message, logger=logger, level=level)

    def fingerprinted_text(
        self, exception_text: str, *, message: str = "", logger: str = "", level: str = "error"
    ) -> Fingerprinted:
        """As :meth:`fingerprinted`, for a traceback already formatted."""
        document = error_document(
            exception_text=exception_text,
            message=message,
            logger=logger,
            level=level,
            service=self.service,
        )
        return self.fingerprinted_document(document)

    def fingerprinted_document(self, document: Mapping[str, object]) -> Fingerprinted:
        """The fingerprint the shipper gives ``document`` written as one JSON log line.

        The integrations pass the very fields they are about to write, so the
        parser reads the message, logger, level and service the shipper will
        read (whichever field names the service's logger uses).
        """
        record = LogRecord(
            log_group=self.log_group,
            log_stream="",
            owner=self.account,
            region="",
            timestamp=0,
            event_ids=(),
            lines=(json.dumps(document, default=str, ensure_ascii=False),),
        )
        parsed = parse_record(record, self._parse_config)
        if parsed is None:
            # The document has no level and no trace the parser can find: the
            # pipeline would not report this line at all, so there is no
            # fingerprint to agree with. Say so rather than guess.
            raise InputError(
                f"no error found in the log document with fields {sorted(document)[:20]}"
            )
        # A traceback the parser cannot read (parsed.chain empty) still goes
        # on: the pipeline groups that log line as an untyped error, and so do
        # we. The service comes out of parse_record as it does in the pipeline:
        # the config's mapping of the log group, else the document's field.
        item = fingerprint(parsed, self.config.masks)
        if not self.config.fingerprint_rules:
            return item
        # The pipeline's own decision function; only its fingerprint matters
        # here (the date only decides which ignore rules have expired).
        return decide(item, self.config, today=datetime.now(UTC).date()).item

    def __call__(self, exc: BaseException) -> list[str]:
        """The fingerprint of ``exc``, as a list (the form Sentry events take)."""
        return list(self.fingerprinted(exc).fingerprint)


def fingerprint_exception(
    exc: BaseException,
    *,
    service: str,
    config: Config | None = None,
    log_group: str = "",
    account: str = "",
) -> list[str]:
    """The fingerprint of a live exception, identical to the one its log line gets.

    Raises :class:`~logship.exceptions.InputError` only if the parser rejects
    the formatted traceback altogether (then its log line is not reported
    either, so no fingerprint exists to agree with).

    ``service`` is the name the pipeline gives the service's logs; ``config``
    the same :class:`~logship.config.Config` the shipper runs with (its masks
    and fingerprint rules shape the key); ``log_group`` and ``account`` as for
    :class:`ExceptionFingerprinter`.
    """
    return ExceptionFingerprinter(service, config, log_group=log_group, account=account)(exc)


def tags_for(item: Fingerprinted) -> Mapping[str, str]:
    """The tags the shipper puts on an event that describe the error, for the in-process one.

    The shipper's other tags (log group, account, region) say where a log
    line came from and have no in-process equivalent.
    """
    error = item.error
    pairs = (
        ("service", error.service),
        ("exception_type", error.exception_type),
        ("root_cause", error.root_cause_type),
        ("language", error.language),
        ("fingerprint_rule", item.rule),
    )
    return {key: value for key, value in pairs if value}
