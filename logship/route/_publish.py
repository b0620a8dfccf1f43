"""Publishing route entries: EventBridge ``PutEvents`` within a deadline, or memory.

See :mod:`logship.route` for the delivery guarantees.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, Unpack

from logship.aws import RETRYABLE_CODES, ClientOptions, LazyClient, error_code
from logship.records import PublishResult, RouteEntry, RouteFailure

from ._detail import (
    MAX_ENTRIES_PER_CALL,
    MAX_REQUEST_BYTES,
    RouteCollector,
    entry_size,
    put_events_entry,
)


class Publisher(Protocol):
    """Publishes route entries; :class:`EventBridgePublisher` and :class:`MemoryPublisher`."""

    def publish(
        self, entries: Sequence[RouteEntry], *, deadline: float | None = None
    ) -> PublishResult: ...


@dataclass
class MemoryPublisher:
    """Keeps entries in memory and accepts them all: dry runs and tests."""

    entries: list[RouteEntry] = field(default_factory=list)

    def publish(
        self, entries: Sequence[RouteEntry], *, deadline: float | None = None
    ) -> PublishResult:
        self.entries.extend(entries)
        return PublishResult(published=tuple(entry.logship_id for entry in entries))


MAX_REMEMBERED_IDS = 10_000  # ids of accepted events a publisher remembers (a warm container)


class EventBridgePublisher(LazyClient):
    """Publishes route entries with EventBridge ``PutEvents``; safe to share between threads.

    ``client`` is a ready boto3 ``events`` client (tests); without it one is
    made (:class:`logship.aws.LazyClient`) on the first publish. It remembers
    the ids of the last :data:`MAX_REMEMBERED_IDS` accepted events and never
    sends one again.
    """

    service = "events"

    def __init__(self, **options: Unpack[ClientOptions]) -> None:
        super().__init__(**options)
        self._accepted: OrderedDict[str, None] = OrderedDict()
        self.calls = 0  # PutEvents requests
        self.retries = 0  # rounds of entries retried after throttling or a passing fault

    def publish(
        self, entries: Sequence[RouteEntry], *, deadline: float | None = None
    ) -> PublishResult:
        """Publish ``entries``, retrying what was refused for rate or a passing fault.

        ``deadline`` is a ``clock()`` value: no retry sleeps past it (without
        one, :data:`logship.aws.MAX_ATTEMPTS` rounds of retries at most). An
        entry whose id was accepted before, or that appears twice, is not sent
        again. Never raises: every entry ends published, duplicate or failed.
        """
        published: list[str] = []
        duplicates: list[str] = []
        failed: list[RouteFailure] = []
        todo: list[RouteEntry] = []
        seen: set[str] = set()
        with self._lock:
            for entry in entries:
                if entry.logship_id in self._accepted or entry.logship_id in seen:
                    duplicates.append(entry.logship_id)
                else:
                    seen.add(entry.logship_id)
                    todo.append(entry)
        calls_before = self.calls
        attempt = 0
        while todo:
            retry: list[tuple[RouteEntry, str]] = []
            for chunk in _chunks(todo, failed):
                retry += self._put(chunk, published, failed)
            if not retry:
                break
            attempt += 1
            if not self._backoff.wait(attempt, deadline):
                failed += [
                    _failure(entry, f"{reason} (gave up retrying)") for entry, reason in retry
                ]
                break
            with self._lock:
                self.retries += 1
            todo = [entry for entry, _ in retry]
        return PublishResult(
            published=tuple(published),
            duplicates=tuple(duplicates),
            failed=tuple(failed),
            calls=self.calls - calls_before,
        )

    def _put(
        self, chunk: Sequence[RouteEntry], published: list[str], failed: list[RouteFailure]
    ) -> list[tuple[RouteEntry, str]]:
        """One ``PutEvents`` call; returns the entries worth retrying, with the reason."""
        with self._lock:
            self.calls += 1
        try:
            response = self.client.put_events(Entries=[put_events_entry(entry) for entry in chunk])
        except Exception as exc:  # botocore's errors are many; each is sorted by code
            code, message = error_code(exc)
            reason = f"{code}: {message}" if message else code
            if code in RETRYABLE_CODES:
                return [(entry, reason) for entry in chunk]
            failed += [_failure(entry, reason) for entry in chunk]
            return []
        results = response.get("Entries") or []
        retry: list[tuple[RouteEntry, str]] = []
        for index, entry in enumerate(chunk):
            result = results[index] if index < len(results) else {}
            code = str(result.get("ErrorCode") or "")
            if not code and result.get("EventId"):
                published.append(entry.logship_id)
                self._remember(entry.logship_id)
                continue
            if not code:
                failed.append(_failure(entry, "PutEvents returned no result for this entry"))
                continue
            message = result.get("ErrorMessage") or ""
            reason = f"{code}: {message}" if message else code
            if code in RETRYABLE_CODES:
                retry.append((entry, reason))
            else:
                failed.append(_failure(entry, reason))
        return retry

    def _remember(self, logship_id: str) -> None:
        with self._lock:
            self._accepted[logship_id] = None
            while len(self._accepted) > MAX_REMEMBERED_IDS:
                self._accepted.popitem(last=False)


def _chunks(entries: Sequence[RouteEntry], failed: list[RouteFailure]) -> list[list[RouteEntry]]:
    """Requests of at most 10 entries and 256 KB; an entry over 256 KB alone fails."""
    chunks: list[list[RouteEntry]] = []
    current: list[RouteEntry] = []
    size = 0
    for entry in entries:
        entry_bytes = entry_size(entry)
        if entry_bytes > MAX_REQUEST_BYTES:
            failed.append(
                _failure(entry, f"the event is {entry_bytes} bytes; EventBridge takes 256 KB")
            )
            continue
        if current and (
            len(current) == MAX_ENTRIES_PER_CALL or size + entry_bytes > MAX_REQUEST_BYTES
        ):
            chunks.append(current)
            current, size = [], 0
        current.append(entry)
        size += entry_bytes
    if current:
        chunks.append(current)
    return chunks


def _failure(entry: RouteEntry, reason: str) -> RouteFailure:
    return RouteFailure(entry.logship_id, entry.rule, reason, entry.batch_items, entry.errors)


def failed_batch_items(
    result: PublishResult, collector: RouteCollector | None = None
) -> frozenset[str]:
    """The batch items to hand back to Kinesis / Firehose for redelivery after ``result``."""
    failures: list[RouteFailure] = [*result.failed, *(collector.failures if collector else ())]
    return frozenset(item for failure in failures for item in failure.batch_items)
