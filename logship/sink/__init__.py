"""Where built Sentry events go: the last stage of the pipeline.

A :class:`Sink` takes events one at a time with :meth:`Sink.send` and delivers
them on :meth:`Sink.flush`, which reports exactly which event ids got through
and which did not. Two sinks exist:

- :class:`MemorySink` keeps events in a list: dry runs and tests.
- :class:`SentrySink` sends each event, as built, in an envelope of its own to
  one DSN, retrying within the flush's deadline (:class:`RetryPolicy`).

Its records (:class:`~logship.records.DeliveryResult`,
:class:`~logship.records.DeliveryFailure`) are in :mod:`logship.records`.
Modules: ``_base`` (the protocol, the memory sink), ``_retry``
(backoff and the server's rate limits), ``_sentry`` (envelopes and HTTP).
"""

from ._base import Event, MemorySink, Sink, event_id_of
from ._retry import RetryPolicy, parse_rate_limits, parse_retry_after
from ._sentry import GZIP_MIN_BYTES, USER_AGENT, Endpoint, SentrySink, envelope_bytes, redact_dsn

__all__ = [
    "GZIP_MIN_BYTES",
    "USER_AGENT",
    "Endpoint",
    "Event",
    "MemorySink",
    "RetryPolicy",
    "SentrySink",
    "Sink",
    "envelope_bytes",
    "event_id_of",
    "parse_rate_limits",
    "parse_retry_after",
    "redact_dsn",
]
