"""One way to write a time: ISO 8601 in UTC, for tables, JSON, messages and route events."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(timestamp_ms: int, *, timespec: str = "milliseconds", zulu: bool = True) -> str:
    """``2024-05-01T08:00:00.123Z``: a UTC time (``timespec`` as :meth:`datetime.isoformat`).

    ``zulu=False`` writes the offset as ``+00:00`` (``replay --json``'s form).
    """
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC).isoformat(timespec=timespec)
    return moment.replace("+00:00", "Z") if zulu else moment
