"""Download CloudWatch Logs events into a dump that ``logship replay`` reads; resumable.

The engine behind ``logship pull`` (the CLI in :mod:`logship.cli.pull` only parses
arguments and prints). The output is what ``aws logs filter-log-events --output json``
prints, one document per log group, concatenated::

    {
    "logGroupName": "/ecs/order-service",
    "events": [
    {"logStreamName": "...", "timestamp": 1714557600000, "message": "...", ...},
    ...
    ]}

``logship.decode.from_path`` reads such a file as it streams (the log group of each
document goes to its events), so ``logship replay dump.json.gz`` reads it back.

Pulling is resumable. After each page the position (the log group, the service's
``nextToken`` of the next page, the output size) is saved in a small state file next
to the output. Each page is written as one piece, for ``.gz`` one gzip member (a gzip
file may hold several), so on resume the output is cut back to the last saved size and
pulling continues from that token: nothing is lost or written twice, whether the pull
stopped on Ctrl-C, an AWS error or a killed process. Requests go through the one
CloudWatch Logs reader (:mod:`logship.cloudwatch`), which retries throttling.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Protocol

from logship._time import iso
from logship.cloudwatch import LogsReader
from logship.exceptions import PullError
from logship.records.tools import PullState, Query

STATE_VERSION = 1
_DURATION = re.compile(r"(?:\d+[smhdw])+")
_DURATION_PART = re.compile(r"(\d+)([smhdw])")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


# --- times ---------------------------------------------------------------------------


def parse_duration(text: str) -> int:
    """``"2h"``, ``"1d12h"``, ``"90s"`` -> milliseconds."""
    compact = text.strip().lower().replace(" ", "")
    if not _DURATION.fullmatch(compact):
        raise PullError(f"{text!r} is not a duration such as 30m, 2h, 1d12h or 1w")
    return sum(int(n) * _UNIT_MS[unit] for n, unit in _DURATION_PART.findall(compact))


def parse_time(text: str, now_ms: int) -> int:
    """An ISO 8601 time, epoch milliseconds, or a duration before ``now_ms``, in ms."""
    stripped = text.strip()
    if stripped.isdigit():
        return int(stripped)
    if _DURATION.fullmatch(stripped.lower()):
        return now_ms - parse_duration(stripped)
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise PullError(
            f"{text!r} is not a time: use ISO 8601 (2024-05-01T08:00Z), epoch "
            "milliseconds or a duration ago (2h)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # CloudWatch shows UTC; so do we
    return (moment - _EPOCH) // _MILLISECOND


# --- what to pull, and how far it got --------------------------------------------------


def build_query(
    log_groups: Iterable[str],
    *,
    since: str | None,
    start: str | None,
    end: str | None,
    filter_pattern: str,
    now_ms: int,
) -> Query:
    """Resolve the command line's times against ``now_ms``; raises :class:`PullError`."""
    groups = tuple(dict.fromkeys(log_groups))  # a group named twice is pulled once
    if not groups:
        raise PullError("give at least one --log-group")
    if since is not None:
        if end is not None:
            raise PullError("--since pulls up to now; use --start and --end for a window")
        window = parse_duration(since)
        begin, finish = now_ms - window, now_ms
    elif start is not None:
        begin = parse_time(start, now_ms)
        finish = parse_time(end, now_ms) if end is not None else now_ms
    else:
        raise PullError("give --since DURATION or --start TIME (and optionally --end TIME)")
    if begin >= finish:
        raise PullError(
            f"the start {iso(begin, timespec='seconds')} is not before "
            f"the end {iso(finish, timespec='seconds')}"
        )
    return Query(groups, begin, finish, filter_pattern)


def state_as_json(state: PullState) -> dict[str, object]:
    """The state as the JSON a state file holds."""
    return {
        "version": STATE_VERSION,
        "log_groups": list(state.query.log_groups),
        "start": state.query.start,
        "end": state.query.end,
        "filter_pattern": state.query.filter_pattern,
        "group_index": state.group_index,
        "next_token": state.next_token,
        "document_open": state.document_open,
        "offset": state.offset,
        "pages": state.pages,
        "group_events": list(state.group_events),
    }


def state_from_json(value: object, where: str) -> PullState:
    """Read a saved state; raises :class:`PullError` naming ``where`` if it is damaged."""
    try:
        if not isinstance(value, dict) or value.get("version") != STATE_VERSION:
            raise TypeError("not a logship pull state (version 1)")
        query = Query(
            tuple(_strings(value["log_groups"])),
            int(value["start"]),
            int(value["end"]),
            str(value["filter_pattern"]),
        )
        token = value["next_token"]
        state = PullState(
            query,
            group_index=int(value["group_index"]),
            next_token=token if isinstance(token, str) else None,
            document_open=bool(value["document_open"]),
            offset=int(value["offset"]),
            pages=int(value["pages"]),
            group_events=tuple(int(n) for n in value["group_events"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PullError(f"{where}: damaged state file ({exc}); delete it to start over") from exc
    if len(state.group_events) != len(query.log_groups) or state.offset < 0:
        raise PullError(f"{where}: damaged state file; delete it to start over")
    return state


def _strings(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("log_groups must be a list of strings")
    return value


def state_path_for(output: Path) -> Path:
    """Where the state of a pull into ``output`` is kept."""
    return output.with_name(output.name + ".pull-state")


def save_state(path: Path, state: PullState) -> None:
    """Write the state atomically: a crash leaves the old state or the new one."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state_as_json(state)) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def load_state(path: Path) -> PullState:
    """Read the state saved by an interrupted pull."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PullError(f"{path}: cannot read the state file ({exc})") from exc
    return state_from_json(value, str(path))


# --- writing --------------------------------------------------------------------------


def document_start(log_group: str) -> str:
    # "{" alone on the first line: the decoder then reads the file as one
    # streamed JSON document, not as JSON lines held whole in memory.
    return "{\n" + f'"logGroupName": {json.dumps(log_group)},\n"events": [\n'


DOCUMENT_END = "\n]}\n"


def page_text(events: Iterable[Mapping[str, object]], *, first: bool) -> tuple[str, int]:
    """The events of one page as array elements, and how many there were."""
    lines = [json.dumps(dict(event), ensure_ascii=False) for event in events]
    if not lines:
        return "", 0
    return ("" if first else ",\n") + ",\n".join(lines), len(lines)


class DumpWriter:
    """Appends whole pieces to the output and reports its size after each one.

    For a ``.gz`` output every piece is a complete gzip member, so the file can
    be cut back to any piece boundary and appended to on ``--resume``.
    """

    def __init__(self, file: IO[bytes], *, compress: bool) -> None:
        self.file = file
        self.compress = compress

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        if self.compress:
            data = gzip.compress(data, compresslevel=6, mtime=0)
        self.file.write(data)
        self.file.flush()
        return self.file.tell()


# --- pulling --------------------------------------------------------------------------


Page = Mapping[str, Any]
FetchPages = Callable[[str, Query, str | None], Iterator[Page]]


def paginated(reader: LogsReader, page_size: int | None) -> FetchPages:
    """``filter_log_events`` pages of one log group, starting at a saved ``nextToken``."""

    def fetch(log_group: str, query: Query, token: str | None) -> Iterator[Page]:
        params: dict[str, Any] = {
            "logGroupName": log_group,
            "startTime": query.start,
            "endTime": query.end,
        }
        if query.filter_pattern:
            params["filterPattern"] = query.filter_pattern
        if page_size:
            params["limit"] = page_size
        if token:
            params["nextToken"] = token
        yield from reader.pages("filter_log_events", **params)

    return fetch


class PullProgress(Protocol):
    """What :func:`pull` reports as it goes (the CLI draws it)."""

    def group(self, log_group: str, index: int, total: int) -> None: ...

    def page(self, events: int, offset: int, last_timestamp: int | None) -> None: ...


def pull(
    fetch: FetchPages,
    state: PullState,
    writer: DumpWriter,
    checkpoint: Callable[[PullState], None],
    progress: PullProgress | None = None,
) -> PullState:
    """Pull every remaining page, calling ``checkpoint`` after each one is written.

    Returns the final state. On an exception (Ctrl-C, an AWS error) the last
    state passed to ``checkpoint`` is the one to resume from.
    """
    groups = state.query.log_groups
    while not state.complete:
        group = groups[state.group_index]
        if progress is not None:
            progress.group(group, state.group_index, len(groups))
        for page in fetch(group, state.query, state.next_token):
            in_group = state.group_events[state.group_index]
            text, count = page_text(page.get("events", ()), first=in_group == 0)
            if not state.document_open:
                text = document_start(group) + text
            token = page.get("nextToken") or None
            if token is None:
                text += DOCUMENT_END
            offset = writer.write(text)
            events = list(state.group_events)
            events[state.group_index] += count
            state = replace(
                state,
                group_index=state.group_index + (token is None),
                next_token=token,
                document_open=token is not None,
                offset=offset,
                pages=state.pages + 1,
                group_events=tuple(events),
            )
            checkpoint(state)
            if progress is not None:
                last = page["events"][-1]["timestamp"] if count else None
                progress.page(count, offset, last if isinstance(last, int) else None)
            if token is None:
                break
        else:
            # The pages ran out without a final page (no pages at all): close the document.
            text = ("" if state.document_open else document_start(group)) + DOCUMENT_END
            state = replace(
                state,
                group_index=state.group_index + 1,
                next_token=None,
                document_open=False,
                offset=writer.write(text),
            )
            checkpoint(state)
    return state
