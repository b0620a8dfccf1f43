"""The sink protocol and the in-memory sink; their records are in :mod:`logship.records`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from logship.records import DeliveryResult

Event = dict[str, Any]


class Sink(ABC):
    """Receives built events and delivers them on :meth:`flush`."""

    @abstractmethod
    def send(self, event: Mapping[str, Any]) -> None:
        """Queue one event. It must carry an ``event_id``; delivery happens on flush."""

    @abstractmethod
    def flush(self, deadline_s: float) -> DeliveryResult:
        """Deliver everything queued, giving up ``deadline_s`` seconds from now.

        Every event queued since the previous flush appears in the result,
        either delivered or failed.
        """

    def close(self) -> None:  # noqa: B027 - a no-op is the right default for most sinks
        """Release connections; the sink is not used afterwards."""


def event_id_of(event: Mapping[str, Any]) -> str:
    """The event's ``event_id``; a ValueError if it has none (it could not be tracked)."""
    event_id = event.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        raise ValueError("a Sentry event needs an event_id before it is sent")
    return event_id


@dataclass
class MemorySink(Sink):
    """Keeps events in memory: the dry run's sink and the tests'.

    ``events`` holds everything ever sent, in order; ``flushes`` counts the
    flush calls. Nothing ever fails.
    """

    events: list[Event] = field(default_factory=list)
    flushes: int = 0
    _pending: list[str] = field(default_factory=list, repr=False)

    def send(self, event: Mapping[str, Any]) -> None:
        self._pending.append(event_id_of(event))
        self.events.append(dict(event))

    def flush(self, deadline_s: float) -> DeliveryResult:
        self.flushes += 1
        delivered, self._pending = tuple(self._pending), []
        return DeliveryResult(delivered=delivered)
