"""The one CloudWatch Logs reader: the client, paging, throttling backoff, a count of calls.

Three features read CloudWatch Logs: stitching (the rest of a trace cut at a
payload boundary, in the Lambda), ``logship pull`` and ``logship coverage``.
They all call :class:`LogsReader`, which

- creates the boto3 client on the first call (boto3 and botocore are imported
  here and nowhere on the Lambda's hot path: a payload that needs no read never
  loads them);
- retries throttling and transient service errors with capped exponential
  backoff and full jitter, but only while a deadline allows (the Lambda passes
  its remaining time less the flush margin), so a throttled read gives up in
  time instead of timing the invocation out;
- counts every request per operation, so the run's report can say what reading
  cost.

botocore's own retries are turned off for this client: they would sleep without
knowing the deadline. Any other error (``AccessDeniedException``, a deleted log
group) is raised at once as :class:`LogsReadError` with the service's code.

The client settings and the backoff are :mod:`logship.aws`'s, shared with the
EventBridge publisher of route rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any, Unpack

from .aws import RETRYABLE_CODES, THROTTLING_CODES, ClientOptions, LazyClient, error_code
from .aws import make_client as _make_client
from .exceptions import LogsReadError

__all__ = ["LogsReader", "make_client"]


def make_client(
    region: str = "", *, profile: str | None = None, endpoint_url: str | None = None
) -> Any:
    """A boto3 CloudWatch Logs client without botocore's own retries (see :mod:`logship.aws`)."""
    return _make_client("logs", region, profile=profile, endpoint_url=endpoint_url)


class LogsReader(LazyClient):
    """Reads CloudWatch Logs for one region; safe to share between threads.

    ``client`` is a ready boto3 client (tests, the CLI); without it one is made
    by ``client_factory`` (default :func:`make_client` for ``region``) on the
    first call. ``clock`` and ``sleep`` are injectable so tests never wait.
    """

    service = "logs"

    def __init__(self, **options: Unpack[ClientOptions]) -> None:
        super().__init__(**options)
        self.calls: Counter[str] = Counter()  # requests sent, per operation
        self.retries = 0  # requests refused for rate or a passing fault, then retried

    def call(self, operation: str, *, deadline: float | None = None, **params: Any) -> Any:
        """One request (``operation`` is the boto3 method name), retried while worth it.

        ``deadline`` is a ``clock()`` value: no retry sleeps past it. Raises
        :class:`LogsReadError` when the service refuses for good or time runs out.
        """
        method = getattr(self.client, operation)
        attempt = 0
        while True:
            with self._lock:
                self.calls[operation] += 1
            try:
                return method(**params)
            except Exception as exc:  # botocore's errors are many; each is sorted by code
                code, message = error_code(exc)
                if code not in RETRYABLE_CODES:
                    throttled = code in THROTTLING_CODES
                    raise LogsReadError(operation, code, message, throttled=throttled) from exc
                attempt += 1
                if not self._backoff.wait(attempt, deadline):
                    throttled = code in THROTTLING_CODES
                    raise LogsReadError(operation, code, message, throttled=throttled) from exc
                with self._lock:
                    self.retries += 1

    def pages(
        self,
        operation: str,
        *,
        token: str = "nextToken",
        deadline: float | None = None,
        **params: Any,
    ) -> Iterator[Mapping[str, Any]]:
        """Every page of a paginated ``operation``, following ``token`` until it stops.

        ``token`` is the response's key for the next page (``nextForwardToken``,
        ``nextBackwardToken`` for ``get_log_events``); it goes back as ``nextToken``.

        A token that repeats ends the pages too (``GetLogEvents`` returns the
        same forward token once there is nothing more).
        """
        seen: str | None = None
        while True:
            page = self.call(operation, deadline=deadline, **params)
            yield page
            following = page.get(token)
            if not following or following == seen:
                return
            seen = following
            params = {**params, "nextToken": following}  # every Logs API takes it by this name

    def count(self) -> int:
        """Requests sent so far, every operation together."""
        with self._lock:
            return sum(self.calls.values())
