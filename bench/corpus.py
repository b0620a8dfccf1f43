"""The benchmark's input: CloudWatch subscription payloads, and big dumps for ``logship replay``.

Nothing here is invented text. Every entry is a real one, re-timed and with
its numbers varied:

- the INFO/WARN lines and most error entries come from the evaluation corpus
  (``tests/corpus/data``), which real Java, Python and Node programs wrote
  with their real logging libraries (logback, Spring Boot, python logging,
  structlog, pino...);
- the traces of the other runtimes (Go, .NET, Ruby, PHP), and more Java,
  Python and Node ones, are the captured fixtures ``tests/fixtures/traces/<lang>/*.txt``.

The corpus is shaped like production traffic through the awslogs driver: one
CloudWatch event per line, several streams (ECS tasks) per service, a
configurable share of the *lines* in error entries (multi-line traces), and
each stream's events cut into subscription payloads of the sizes CloudWatch
delivers (up to the 1,048,576-byte ``PutLogEvents`` batch, at most 10,000
events), payloads of all streams interleaved by time. Traces cross payload
boundaries, as they do in production.

Generation is deterministic for a seed and streaming: a 1 GB dump is written
without ever holding more than one entry.
"""

from __future__ import annotations

import base64
import gzip
import heapq
import json
import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from logship.decode import encode_payload

ROOT = Path(__file__).resolve().parents[1]
CORPUS_EVENTS = ROOT / "tests" / "corpus" / "data" / "subscription-events.jsonl.gz"
CORPUS_TRUTH = ROOT / "tests" / "corpus" / "data" / "truth.json.gz"
TRACES = ROOT / "tests" / "fixtures" / "traces"

OWNER = "123456789012"
T0 = 1_714_557_600_000  # 2024-05-01T10:00:00Z
DEFAULT_SEED = 7
DEFAULT_ERROR_SHARE = 0.05

# CloudWatch Logs PutLogEvents: "The maximum batch size is 1,048,576 bytes, and this size is
# calculated as the sum of all event messages in UTF-8, plus 26 bytes for each log event."
# "The maximum number of log events in a batch is 10,000." A subscription payload never holds
# more than one batch's worth of one stream.
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_BATCH_EVENTS = 10_000
# AWS Lambda's limit on an asynchronous invocation's payload (how CloudWatch Logs invokes a
# subscribed function): 256 KB until October 2025, 1 MB since.
MAX_ASYNC_INVOKE_BYTES = 1_048_576

# Fixture traces of runtimes the evaluation corpus has no service for get a service of
# their own; Java, Python and Node fixtures join the corpus services of their runtime.
FIXTURE_SERVICES = {
    "go": "inventory-service",
    "dotnet": "pricing-service",
    "ruby": "billing-service",
    "php": "storefront-service",
    "java": "order-service",
    "python": "member-service",
    "node": "cart-service",
}
# Traces of hundreds or thousands of lines (stack overflows, deep recursion) are real but
# rare: they are picked this much less often than a typical trace.
HUGE_TRACE_LINES = 300
HUGE_TRACE_WEIGHT = 0.05

# A leading timestamp: ISO 8601 / logback / python logging / Go's log / Ruby Logger.
_STAMP = re.compile(
    r"(?P<y>\d{4})(?P<ds>[-/])\d{2}(?P=ds)\d{2}(?P<t>[T ])\d{2}:\d{2}:\d{2}"
    r"(?:(?P<fs>[.,])(?P<f>\d{1,9}))?"
)
_CLOCK = re.compile(r"\[?\d{2}:\d{2}:\d{2}\.(?P<f>\d{3})")  # logback %d{HH:mm:ss.SSS}
_STAMP_SCAN = 48  # a prefix's timestamp sits near the start of the line
# Ids, amounts, ports: numbers of three digits or more that are not part of a word, a
# path or a line number ("Foo.java:29", "/usr/lib/ruby/3.1.0").
_NUMBER = re.compile(r"(?<![\w.:/#$\\])\d{3,}(?![\w])")


@dataclass(frozen=True, slots=True)
class Service:
    """One service: its log group, and the entries its tasks write."""

    name: str
    info: tuple[tuple[str, ...], ...]  # entries below ERROR, as lines
    errors: tuple[tuple[str, ...], ...]  # error entries (traces, untyped errors), as lines
    error_weights: tuple[float, ...]

    @property
    def log_group(self) -> str:
        return f"/ecs/{self.name}"


@dataclass(frozen=True, slots=True)
class Payload:
    """One subscription payload: gzip JSON as CloudWatch Logs delivers it."""

    log_group: str
    log_stream: str
    data: bytes  # the gzip bytes (base64 them for a Lambda event)
    events: int
    error_events: int  # events that belong to error entries
    inflated_bytes: int  # the size of the JSON document once inflated

    def lambda_event(self) -> dict[str, Any]:
        """The Lambda event CloudWatch Logs invokes a subscribed function with."""
        return {"awslogs": {"data": base64.b64encode(self.data).decode("ascii")}}


@dataclass(frozen=True, slots=True)
class Corpus:
    """Subscription payloads in delivery order, and what they hold."""

    payloads: tuple[Payload, ...]
    streams: int
    error_share: float
    seed: int

    @property
    def events(self) -> int:
        return sum(p.events for p in self.payloads)

    @property
    def error_events(self) -> int:
        return sum(p.error_events for p in self.payloads)

    @property
    def inflated_bytes(self) -> int:
        return sum(p.inflated_bytes for p in self.payloads)

    @property
    def compressed_bytes(self) -> int:
        return sum(len(p.data) for p in self.payloads)


# --------------------------------------------------------------------------- templates


def _corpus_entries() -> dict[str, tuple[list[tuple[str, ...]], list[tuple[str, ...]]]]:
    """Per service of the evaluation corpus: (info entries, error entries), as lines."""
    messages: dict[str, str] = {}
    with gzip.open(CORPUS_EVENTS, "rt", encoding="utf-8") as lines:
        for line in lines:
            raw = base64.b64decode(json.loads(line)["awslogs"]["data"])
            for event in json.loads(gzip.decompress(raw))["logEvents"]:
                messages[event["id"]] = event["message"]
    with gzip.open(CORPUS_TRUTH, "rt", encoding="utf-8") as truth_file:
        truth = json.load(truth_file)["entries"]
    services: dict[str, tuple[list[tuple[str, ...]], list[tuple[str, ...]]]] = {}
    for entry in truth:
        name = entry["log_group"].rsplit("/", 1)[-1]
        info, errors = services.setdefault(name, ([], []))
        # Streams in multiline mode carry a whole entry per event: split it, the bench
        # models the awslogs default of one event per line.
        text = "\n".join(messages[event_id] for event_id in entry["event_ids"])
        (errors if entry["error"] else info).append(tuple(text.split("\n")))
    return services


def _fixture_traces() -> dict[str, list[tuple[str, ...]]]:
    """The captured traces, per language, as lines (blank lines at the ends dropped)."""
    traces: dict[str, list[tuple[str, ...]]] = {}
    for language in FIXTURE_SERVICES:
        for path in sorted((TRACES / language).glob("*.txt")):
            lines = path.read_text(encoding="utf-8").strip("\n").split("\n")
            traces.setdefault(language, []).append(tuple(lines))
    return traces


def _weight(lines: tuple[str, ...]) -> float:
    return HUGE_TRACE_WEIGHT if len(lines) > HUGE_TRACE_LINES else 1.0


def load_services() -> tuple[Service, ...]:
    """The services the benchmark simulates, with real entries to draw from."""
    corpus = _corpus_entries()
    # Services with only fixture traces log the plain-text INFO lines of the corpus.
    plain_info = [
        entry for info, _ in corpus.values() for entry in info if not entry[0].startswith("{")
    ]
    errors: dict[str, list[tuple[str, ...]]] = {name: list(e) for name, (_, e) in corpus.items()}
    for language, traces in _fixture_traces().items():
        errors.setdefault(FIXTURE_SERVICES[language], []).extend(traces)
    services = []
    for name in sorted(errors):
        info = corpus[name][0] if name in corpus else plain_info
        service_errors = tuple(errors[name])
        services.append(
            Service(
                name=name,
                info=tuple(info),
                errors=service_errors,
                error_weights=tuple(_weight(lines) for lines in service_errors),
            )
        )
    return tuple(services)


# --------------------------------------------------------------------------- entries


def _restamp(line: str, timestamp: int) -> tuple[str, int]:
    """``line`` with its leading timestamp set to ``timestamp``; and where the stamp ends."""
    moment = datetime.fromtimestamp(timestamp / 1000, UTC)
    match = _STAMP.search(line, 0, _STAMP_SCAN)
    if match is not None:
        sep, tee = match["ds"], match["t"]
        text = moment.strftime(f"%Y{sep}%m{sep}%d{tee}%H:%M:%S")
        if match["f"]:
            text += match["fs"] + _fraction(moment, len(match["f"]))
        return line[: match.start()] + text + line[match.end() :], match.start() + len(text)
    match = _CLOCK.match(line)
    if match is not None:
        text = moment.strftime("%H:%M:%S.") + _fraction(moment, 3)
        start = match.end() - len(text)
        return line[:start] + text + line[match.end() :], match.end()
    return line, 0


def _fraction(moment: datetime, digits: int) -> str:
    return f"{moment.microsecond:06d}{'0' * max(0, digits - 6)}"[:digits]


def vary(lines: tuple[str, ...], timestamp: int, rng: random.Random) -> list[str]:
    """One occurrence of an entry: re-timed, with other ids, amounts and ports.

    Frames (indented lines, PHP's ``#0``) are left alone: their line numbers
    are the code's, not the occurrence's.
    """

    def number(match: re.Match[str]) -> str:
        text = match.group()
        if len(text) == 3 and text < "600":
            return text  # an HTTP status or a small count: varying it would be noise
        return str(rng.randrange(10 ** (len(text) - 1), 10 ** len(text)))

    out = []
    for index, original in enumerate(lines):
        line, start = _restamp(original, timestamp) if index == 0 else (original, 0)
        if line[:1] in (" ", "\t", "#"):
            out.append(line)
        else:
            out.append(line[:start] + _NUMBER.sub(number, line[start:]))
    return out


@dataclass(slots=True)
class StreamWriter:
    """One ECS task's log stream: the events it writes, entry after entry.

    The share of lines in error entries is held at ``error_share`` over the
    stream's life: the next error entry is drawn in advance, and written once
    the error lines fall behind their share by about half its length (between
    a quarter and three quarters, at random). The lag then swings around zero
    whatever the entry's length, so the share holds on average, and errors
    come at irregular intervals: a 3,000-line trace waits for its turn.
    """

    service: Service
    log_stream: str
    index: int  # of the stream in the corpus: part of its event ids
    rng: random.Random
    error_share: float
    clock: int = T0
    lines: int = 0
    error_lines: int = 0
    sequence: int = 0
    next_error: tuple[str, ...] = ()
    threshold: float = 0.0

    def __post_init__(self) -> None:
        self.clock += self.rng.randrange(0, 3_000)
        self._draw_error()

    def _draw_error(self) -> None:
        if self.service.errors:
            self.next_error = self.rng.choices(self.service.errors, self.service.error_weights)[0]
            # The lag falls by this much when the entry is written.
            drop = len(self.next_error) * (1 - self.error_share)
            self.threshold = drop * self.rng.uniform(0.25, 0.75)

    @property
    def log_group(self) -> str:
        return self.service.log_group

    def next_entry(self) -> tuple[list[tuple[str, int, str]], bool]:
        """The next entry's events ``(id, timestamp, message)``, and whether it is an error."""
        self.clock += self.rng.randrange(1, 80)
        error = (
            self.error_share > 0
            and bool(self.next_error)
            and self.error_share * self.lines - self.error_lines >= self.threshold
        )
        if error:
            template = self.next_error
            self._draw_error()
        else:
            template = self.rng.choice(self.service.info)
        events = []
        for offset, message in enumerate(vary(template, self.clock, self.rng)):
            # A trace's lines are read within a millisecond or two of each other.
            timestamp = self.clock + offset // 200
            self.sequence += 1
            events.append(
                (f"{timestamp:013d}{self.index:04d}{self.sequence:039d}", timestamp, message)
            )
        self.clock = events[-1][1]
        self.lines += len(events)
        if error:
            self.error_lines += len(events)
        return events, error


def writers(
    services: tuple[Service, ...], *, streams_per_service: int, error_share: float, seed: int
) -> list[StreamWriter]:
    """``streams_per_service`` tasks of every service, each with its own random source."""
    rng = random.Random(seed)
    out: list[StreamWriter] = []
    for service in services:
        for _ in range(streams_per_service):
            task = f"{rng.getrandbits(128):032x}"
            out.append(
                StreamWriter(
                    service=service,
                    log_stream=f"ecs/{service.name}/{task}",
                    index=len(out),
                    rng=random.Random(rng.getrandbits(64)),
                    error_share=error_share,
                )
            )
    return out


# --------------------------------------------------------------------------- payloads


def payload_target(rng: random.Random, low: int, high: int) -> int:
    """A payload size in batch bytes, log-uniform in [low, high]: many small, some full."""
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def build_corpus(
    *,
    total_bytes: int,
    error_share: float = DEFAULT_ERROR_SHARE,
    seed: int = DEFAULT_SEED,
    streams_per_service: int = 2,
    min_payload: int = 64 * 1024,
    max_payload: int = MAX_BATCH_BYTES,
) -> Corpus:
    """Subscription payloads that inflate to about ``total_bytes`` of JSON in all.

    Each payload holds the next events of one stream, up to a size drawn
    between ``min_payload`` and ``max_payload`` batch bytes (messages + 26 per
    event, as PutLogEvents counts them); the stream whose clock is earliest
    delivers next, so payloads of all streams interleave by time.
    """
    services = load_services()
    rng = random.Random(seed + 1)
    streams = writers(
        services, streams_per_service=streams_per_service, error_share=error_share, seed=seed
    )
    # Events written but not yet delivered, per stream: an entry can straddle payloads.
    backlog: dict[int, list[tuple[tuple[str, int, str], bool]]] = {s.index: [] for s in streams}
    queue = [(s.clock, s.index) for s in streams]
    heapq.heapify(queue)
    payloads: list[Payload] = []
    written = 0
    while written < total_bytes:
        _, index = heapq.heappop(queue)
        stream = streams[index]
        target = payload_target(rng, min_payload, max_payload)
        pending = backlog[index]
        size = sum(len(e[2].encode()) + EVENT_OVERHEAD for e, _ in pending)
        while size < target and len(pending) < MAX_BATCH_EVENTS:
            events, error = stream.next_entry()
            for event in events:
                pending.append((event, error))
                size += len(event[2].encode()) + EVENT_OVERHEAD
        taken, _ = _fill(pending, target)
        del pending[: len(taken)]
        data = encode_payload(
            stream.log_group, stream.log_stream, [e for e, _ in taken], owner=OWNER
        )
        payloads.append(
            Payload(
                log_group=stream.log_group,
                log_stream=stream.log_stream,
                data=data,
                events=len(taken),
                error_events=sum(1 for _, error in taken if error),
                inflated_bytes=len(gzip.decompress(data)),
            )
        )
        written += payloads[-1].inflated_bytes
        heapq.heappush(queue, (stream.clock, index))
    return Corpus(tuple(payloads), len(streams), error_share, seed)


def _fill(
    pending: list[tuple[tuple[str, int, str], bool]], target: int
) -> tuple[list[tuple[tuple[str, int, str], bool]], int]:
    """The first events of ``pending`` that fit one batch of about ``target`` bytes."""
    size = 0
    count = 0
    for event, _ in pending:
        cost = len(event[2].encode()) + EVENT_OVERHEAD
        if count and (size + cost > min(target, MAX_BATCH_BYTES) or count >= MAX_BATCH_EVENTS):
            break
        size += cost
        count += 1
    return pending[:count], size


def largest_payload(
    kind: str, *, error_share: float = DEFAULT_ERROR_SHARE, seed: int = 1
) -> Payload:
    """The largest payload of one stream, by one of two bounds.

    ``batch``: a full PutLogEvents batch (1,048,576 batch bytes or 10,000
    events), the most one delivery of one stream holds in practice.
    ``invoke``: as many events as fit a 1 MB asynchronous Lambda invocation
    once gzipped and base64-encoded: the bound the Lambda service enforces,
    whatever CloudWatch batches (it inflates to several MB).
    """
    services = load_services()
    stream = writers(services, streams_per_service=1, error_share=error_share, seed=seed)[0]
    events: list[tuple[tuple[str, int, str], bool]] = []
    if kind == "batch":
        size = 0
        while size < MAX_BATCH_BYTES and len(events) < MAX_BATCH_EVENTS:
            entry, error = stream.next_entry()
            events.extend((event, error) for event in entry)
            size += sum(len(e[2].encode()) + EVENT_OVERHEAD for e in entry)
        taken, _ = _fill(events, MAX_BATCH_BYTES)
        return _payload(stream, taken)
    if kind != "invoke":
        raise ValueError(f"kind must be 'batch' or 'invoke', not {kind!r}")
    # Compression ratios of log text vary: grow the guess until the event is too big,
    # then bisect on the event count.
    budget = MAX_ASYNC_INVOKE_BYTES - len('{"awslogs": {"data": ""}}')
    low, high = 0, 0
    while True:
        while len(events) < max(high * 2, 1000):
            entry, error = stream.next_entry()
            events.extend((event, error) for event in entry)
        high = len(events)
        if _b64_size(stream, events[:high]) > budget:
            break
        low = high
    while high - low > 1:
        middle = (low + high) // 2
        if _b64_size(stream, events[:middle]) > budget:
            high = middle
        else:
            low = middle
    return _payload(stream, events[:low])


def _b64_size(stream: StreamWriter, events: list[tuple[tuple[str, int, str], bool]]) -> int:
    data = encode_payload(stream.log_group, stream.log_stream, [e for e, _ in events], owner=OWNER)
    return 4 * math.ceil(len(data) / 3)


def _payload(stream: StreamWriter, events: list[tuple[tuple[str, int, str], bool]]) -> Payload:
    data = encode_payload(stream.log_group, stream.log_stream, [e for e, _ in events], owner=OWNER)
    return Payload(
        log_group=stream.log_group,
        log_stream=stream.log_stream,
        data=data,
        events=len(events),
        error_events=sum(1 for _, error in events if error),
        inflated_bytes=len(gzip.decompress(data)),
    )


# --------------------------------------------------------------------------- dumps


@dataclass(frozen=True, slots=True)
class DumpStats:
    """What :func:`write_dump` wrote."""

    bytes: int
    events: int
    error_events: int
    log_group: str


DUMP_LOG_GROUP = "/ecs/shop"


def write_dump(
    out: IO[str],
    *,
    total_bytes: int,
    error_share: float = DEFAULT_ERROR_SHARE,
    seed: int = DEFAULT_SEED,
    streams_per_service: int = 2,
) -> DumpStats:
    """Write an ``aws logs filter-log-events --output json`` dump of about ``total_bytes``.

    One log group (``/ecs/shop``, give it to ``logship replay --log-group``),
    the streams of every service interleaved by time as filter-log-events
    returns them. Streaming: memory stays at one entry whatever the size.
    """
    services = load_services()
    streams = writers(
        services, streams_per_service=streams_per_service, error_share=error_share, seed=seed
    )
    queue = [(s.clock, s.index) for s in streams]
    heapq.heapify(queue)
    written = out.write('{\n    "events": [')
    events = error_events = 0
    first = True
    while written < total_bytes:
        _, index = heapq.heappop(queue)
        stream = streams[index]
        entry, error = stream.next_entry()
        for event_id, timestamp, message in entry:
            record = {
                "logStreamName": stream.log_stream,
                "timestamp": timestamp,
                "message": message,
                "ingestionTime": timestamp + 120,
                "eventId": event_id,
            }
            written += out.write(("\n        " if first else ",\n        ") + json.dumps(record))
            first = False
        events += len(entry)
        error_events += len(entry) if error else 0
        heapq.heappush(queue, (stream.clock, index))
    searched = [{"logStreamName": s.log_stream, "searchedCompletely": True} for s in streams]
    written += out.write('\n    ],\n    "searchedLogStreams": ' + json.dumps(searched) + "\n}\n")
    return DumpStats(written, events, error_events, DUMP_LOG_GROUP)
