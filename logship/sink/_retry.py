"""When to try a request again: backoff, ``Retry-After`` and Sentry's rate limits."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

# Categories of an X-Sentry-Rate-Limits entry that stop an error event. An empty
# category list means "everything" (https://develop.sentry.dev/sdk/rate-limiting/).
EVENT_CATEGORIES = frozenset({"error", "default"})
# Status codes worth another try: the server may accept the same bytes later.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How :class:`~logship.sink.SentrySink` retries within a flush's deadline."""

    attempt_timeout_s: float = 10.0  # one request; a hung server costs at most this
    connect_timeout_s: float = 3.0
    backoff_base_s: float = 0.2
    backoff_max_s: float = 5.0
    default_rate_limit_s: float = 60.0  # a 429 without Retry-After, as sentry-sdk assumes
    max_workers: int = 4  # concurrent requests during a flush

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Exponential backoff with jitter for the ``attempt``-th retry (0-based)."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2.0 ** min(attempt, 30))
        return ceiling * (0.5 + rng() / 2)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    seconds: float = moment.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)


def parse_rate_limits(value: str | None) -> float | None:
    """Seconds error events are limited for, from an ``X-Sentry-Rate-Limits`` header.

    The header is a comma list of ``retry_after:categories:scope:...`` entries;
    only entries whose categories include errors (or are empty: all of them)
    concern us. ``None`` when nothing limits errors.
    """
    if not value:
        return None
    longest: float | None = None
    for entry in value.split(","):
        parts = entry.strip().split(":")
        if len(parts) < 2:
            continue
        try:
            seconds = float(parts[0])
        except ValueError:
            continue
        categories = {c for c in parts[1].split(";") if c}
        if categories and not categories & EVENT_CATEGORIES:
            continue
        longest = seconds if longest is None else max(longest, seconds)
    return longest


class RateLimit:
    """When the server allows the next error event; shared by a flush's workers."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._until = 0.0

    def limit_for(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self._clock() + seconds)

    def wait_s(self) -> float:
        with self._lock:
            return max(0.0, self._until - self._clock())
