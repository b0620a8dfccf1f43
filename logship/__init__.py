"""logship: turn microservice error logs into well-grouped Sentry issues.

The pipeline stages live in their own modules (``decode``, ``assemble``,
``parse``, ``fingerprint``, ``rules``, ``event``, ``sink``) and are composed
in :mod:`logship.pipeline`. Importing ``logship`` is cheap: no boto3, no CLI
packages, no sentry-sdk until a sink or integration is used.
"""

from __future__ import annotations

__version__ = "0.1.0"  # pyproject.toml reads it from here

from logship.config import Config
from logship.fingerprint import default_fingerprint, fingerprint
from logship.inprocess import fingerprint_exception
from logship.mask import template
from logship.records import (
    ExceptionInfo,
    Fingerprinted,
    Frame,
    LogEvent,
    LogRecord,
    ParsedError,
    Relation,
    RequestContext,
    Trace,
)

__all__ = [
    "Config",
    "ExceptionInfo",
    "Fingerprinted",
    "Frame",
    "LogEvent",
    "LogRecord",
    "ParsedError",
    "Relation",
    "RequestContext",
    "Trace",
    "default_fingerprint",
    "fingerprint",
    "fingerprint_exception",
    "template",
]
