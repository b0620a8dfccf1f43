"""Integrations for services that report their own errors.

Each module binds logship's in-process fingerprint
(:func:`logship.inprocess.fingerprint_exception`) to one library, so that an
error a service reports itself lands in the same Sentry issue as the one the
shipper derives from its logs:

- :mod:`logship.integrations.sentry`: a sentry-sdk ``Integration`` and a
  ``before_send`` hook that set ``event["fingerprint"]`` and logship's tags.
- :mod:`logship.integrations.structlog`: a processor that adds
  ``error_fingerprint`` and renders the exception as the shipper reads it.
- :mod:`logship.integrations.logging`: a ``logging.Filter`` and a JSON
  ``logging.Formatter`` for services without structlog.

Nothing is imported here: sentry-sdk and structlog are loaded only by the
module of the integration that uses them.
"""
