"""The evaluation corpus through the deployed path: ``lambda_handler.handler``, once per payload.

CloudWatch Logs invokes the Lambda once per subscription payload. Here every payload
of ``tests/corpus`` is one call of the real entry point, against a moto CloudWatch
Logs holding the same events (stitching reads it) and a Sentry endpoint on 127.0.0.1
(``tests/fakesentry.py``) receiving what is sent. The figures are those of
``tests/test_corpus.py`` (replay: every payload through one pipeline), measured on
what Sentry received, and must be the same:

- every error entry shipped, each exactly once (no bogus tail of a cut trace);
- each with exactly its lines, and the same fingerprint replay gives it (so the
  grouping F1 and the root causes kept apart are replay's);
- every event of every payload counted in exactly one bucket of its invocation.

Three deliveries: in the corpus's order, shuffled, and shuffled on four threads at
once (Lambda runs invocations concurrently in separate containers; here they share
one warm container, which stitching must not depend on either way).
"""

from __future__ import annotations

import gzip
import io
import json
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stdout
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pytest
from fakesentry import FakeSentry, fake_sentry
from lambda_payloads import FakeContext
from moto import mock_aws
from stitch_support import CORPUS, Payload, corpus_payloads, logs_client, recent, store
from test_corpus import pairwise

import lambda_handler
from logship import aws_lambda, settings
from logship.config import Config
from logship.decode import from_lambda_event
from logship.pipeline import RunReport, errors

REGION = "eu-west-1"
WAIT_MS = 1_000  # LOGSHIP_STITCH_WAIT_MS: short, so the test need not wait long once stored

pytestmark = pytest.mark.slow


@dataclass(frozen=True, slots=True)
class Entry:
    label: str
    event_ids: tuple[str, ...]  # the entry's events, as the truth says

    @property
    def first_id(self) -> str:
        return self.event_ids[0]


@dataclass
class Run:
    """What one delivery of the corpus produced."""

    events: list[dict[str, Any]]  # the events Sentry accepted
    summaries: list[dict[str, Any]]  # one summary line per invocation


def error_entries() -> list[Entry]:
    with gzip.open(CORPUS / "truth.json.gz", "rt", encoding="utf-8") as file:
        truth = json.load(file)["entries"]
    return [Entry(e["label"], tuple(e["event_ids"])) for e in truth if e["error"]]


def exactly(event: dict[str, Any], entry: Entry, *, multiline: bool = False) -> bool:
    """Whether a sent event holds exactly the entry's events.

    Its own events (the cloudwatch context lists the first ones and counts them
    all) are the entry's first ones, and with the events stitching read after
    them they are all of them. The raw log cannot say: it is scrubbed and cut.
    ``multiline``: an entry is one event (awslogs multiline mode).
    """
    cloudwatch = event["contexts"]["cloudwatch"]
    if multiline:
        return tuple(cloudwatch["event_ids"]) == entry.event_ids[:1] and (
            cloudwatch["event_count"] == 1
        )
    listed = tuple(cloudwatch["event_ids"])
    own = cloudwatch["event_count"]
    read = event["extra"].get("logship_stitched_events", 0)
    return entry.event_ids[: len(listed)] == listed and own + read == len(entry.event_ids)


def replay_fingerprints(payloads: list[Payload]) -> dict[str, tuple[str, ...]]:
    """First event id -> fingerprint, as ``logship replay`` (one pipeline) gives them."""
    items = (item for p in payloads for item in from_lambda_event(p.lambda_event()))
    found = errors(items, Config(), RunReport())
    return {item.error.event_ids[0]: item.fingerprint for item in found}


@pytest.fixture(scope="module")
def corpus() -> Iterator[tuple[list[Payload], Any]]:
    """The corpus moved to the last hour, stored in a moto CloudWatch Logs."""
    with mock_aws():
        payloads = recent(corpus_payloads(), now_ms=int(time.time() * 1000))
        store(logs_client(REGION), payloads)
        # Past the stitching wait, as in production a minute after the last batch:
        # nothing more can be stored that continues an entry.
        time.sleep((WAIT_MS + 1_100) / 1000)
        yield payloads, None


@pytest.fixture
def deliver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Call the real entry point per payload; Sentry is a server on 127.0.0.1."""
    with fake_sentry() as server:
        monkeypatch.setenv("SENTRY_DSN", server.dsn)
        monkeypatch.setenv("AWS_REGION", REGION)
        monkeypatch.setenv("LOGSHIP_STITCH_WAIT_MS", str(WAIT_MS))
        monkeypatch.setenv("LOGSHIP_STITCHING", "on")  # tests/conftest.py turns it off
        settings.clear_caches()
        aws_lambda.container.cache_clear()
        aws_lambda._log.cache_clear()

        def run(payloads: list[Payload], *, threads: int = 1) -> Run:
            out = io.StringIO()
            aws_lambda._log.cache_clear()
            with redirect_stdout(out):
                aws_lambda._log()  # the summary logger writes to this invocation's stdout

                def invoke(p: Payload) -> None:
                    lambda_handler.handler(p.lambda_event(), FakeContext(remaining_ms=120_000))

                # Lambda runs concurrent invocations in separate containers, one at a
                # time in each: a thread here is a container, built as handler builds one.
                local = threading.local()

                def invoke_in_own_container(p: Payload) -> None:
                    if not hasattr(local, "state"):
                        local.state = aws_lambda.container.__wrapped__()
                    state = local.state
                    aws_lambda.handle(
                        p.lambda_event(),
                        FakeContext(remaining_ms=120_000),
                        settings=state.settings,
                        config=state.config,
                        event_settings=state.event_settings,
                        sink=state.sink,
                        log=aws_lambda._log(),
                        reader=state.reader,
                    )

                if threads == 1:
                    for p in payloads:
                        invoke(p)
                else:
                    with ThreadPoolExecutor(threads) as pool:
                        list(pool.map(invoke_in_own_container, payloads))
            aws_lambda._log.cache_clear()
            summaries = [json.loads(line) for line in out.getvalue().splitlines() if line]
            return Run(events=_received(server), summaries=summaries)

        yield run
        aws_lambda.container.cache_clear()
        aws_lambda._log.cache_clear()


def _received(server: FakeSentry) -> list[dict[str, Any]]:
    return server.events


@dataclass(frozen=True, slots=True)
class Figures:
    detected: int
    exact: int
    shipped_twice: int
    bogus: int
    same_fingerprint_as_replay: int
    f1: float
    roots_apart: tuple[int, int]

    def line(self, total: int) -> str:
        apart, pairs = self.roots_apart
        return (
            f"detected {self.detected}/{total}, exact {self.exact}/{total}, "
            f"shipped twice {self.shipped_twice}, bogus {self.bogus}, "
            f"fingerprint as replay {self.same_fingerprint_as_replay}/{total}, "
            f"grouping F1 {self.f1:.4f}, different roots kept apart {apart}/{pairs}"
        )


def measure(
    events: list[dict[str, Any]],
    entries: list[Entry],
    replay: dict[str, Any],
    *,
    multiline: bool = False,
) -> Figures:
    by_first: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_first[event["contexts"]["cloudwatch"]["event_ids"][0]].append(event)
    firsts = {entry.first_id for entry in entries}
    labels, keys = [], []
    exact = same = 0
    for entry in entries:
        sent = by_first.get(entry.first_id)
        if not sent:
            continue
        event = sent[0]
        exact += exactly(event, entry, multiline=multiline)
        same += tuple(event["fingerprint"]) == replay.get(entry.first_id)
        labels.append(entry.label)
        keys.append(tuple(event["fingerprint"]))
    _, _, f1 = pairwise(labels, keys)
    return Figures(
        detected=sum(1 for entry in entries if entry.first_id in by_first),
        exact=exact,
        shipped_twice=sum(len(sent) - 1 for sent in by_first.values()),
        bogus=sum(len(sent) for first, sent in by_first.items() if first not in firsts),
        same_fingerprint_as_replay=same,
        f1=f1,
        roots_apart=_roots_apart(labels, keys),
    )


def _roots_apart(labels: list[str], keys: list[tuple[str, ...]]) -> tuple[int, int]:
    """Label pairs of one service and outer type but another root cause: how many kept apart.

    The pairs are found on the truth's own grouping of the replay keys: two labels
    whose keys share service and outer type but differ in root cause.
    """
    by_label: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for label, key in zip(labels, keys, strict=True):
        by_label[label].add(key)
    pairs = apart = 0
    for (_, keys_a), (_, keys_b) in combinations(sorted(by_label.items()), 2):
        for key_a in keys_a:
            for key_b in keys_b:
                if key_a[:2] == key_b[:2] and len(key_a) > 2 and key_a[2:] != key_b[2:]:
                    pairs += 1
                    apart += key_a != key_b
    return apart, pairs


def assert_accounted(run: Run, payloads: list[Payload]) -> None:
    """Every invocation's counts add up, and every event of the corpus is in one of them."""
    assert len(run.summaries) == len(payloads)
    for summary in run.summaries:
        assert summary["balanced"], summary
        assert summary["events_received"] == (
            summary["events_invalid"]
            + summary["events_not_errors"]
            + summary["events_in_errors"]
            + summary["events_continued"]
        )
        assert summary["errors"] == summary["shipped"] + summary["ignored"] + summary["suppressed"]
        assert summary["stitch_failed"] == 0, summary
    received = sum(summary["events_received"] for summary in run.summaries)
    assert received == sum(len(p.events) for p in payloads)


def check(run: Run, payloads: list[Payload], name: str) -> Figures:
    entries = error_entries()
    replay = replay_fingerprints(payloads)
    figures = measure(run.events, entries, replay)
    total = len(entries)
    reads = sum(summary["stitch_reads"] for summary in run.summaries)
    reading = sum(1 for summary in run.summaries if summary["stitch_reads"])
    stitched = sum(summary["entries_stitched"] for summary in run.summaries)
    print(
        f"\nlambda ({name}): {figures.line(total)}; {stitched} entries stitched, "
        f"{reads} reads, {reading}/{len(run.summaries)} invocations read",
        file=sys.stderr,
    )
    assert figures.detected == total
    assert figures.shipped_twice == 0
    assert figures.bogus == 0
    assert figures.same_fingerprint_as_replay == total
    assert figures.exact >= 0.98 * total
    assert figures.f1 >= 0.99
    apart, pairs = figures.roots_apart
    assert apart == pairs
    assert_accounted(run, payloads)
    return figures


class TestLambdaPathMatchesReplay:
    """The deployed path gives replay's errors on the project's own corpus."""

    def test_delivery_order(self, corpus: Any, deliver: Any) -> None:
        """One call per payload in the order CloudWatch delivered them: replay's figures."""
        payloads, _ = corpus
        check(deliver(payloads), payloads, "delivery order")

    def test_shuffled(self, corpus: Any, deliver: Any) -> None:
        """Payloads in a random order (retries, concurrency): the same errors."""
        payloads, _ = corpus
        shuffled = list(payloads)
        random.Random(17).shuffle(shuffled)
        check(deliver(shuffled), payloads, "shuffled")

    def test_concurrent(self, corpus: Any, deliver: Any) -> None:
        """Shuffled payloads on four threads at once: the same errors, none twice."""
        payloads, _ = corpus
        shuffled = list(payloads)
        random.Random(29).shuffle(shuffled)
        check(deliver(shuffled, threads=4), payloads, "4 threads")

    def test_without_stitching_the_cut_traces_split(
        self, corpus: Any, deliver: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With LOGSHIP_STITCHING=off, the figures are those the issue measured: worse."""
        payloads, _ = corpus
        monkeypatch.setenv("LOGSHIP_STITCHING", "off")
        aws_lambda.container.cache_clear()
        run = deliver(payloads)
        entries = error_entries()
        figures = measure(run.events, entries, replay_fingerprints(payloads))
        print(f"\nlambda (stitching off): {figures.line(len(entries))}", file=sys.stderr)
        assert figures.shipped_twice + figures.bogus > 0
        assert figures.same_fingerprint_as_replay < len(entries)
        assert all(summary["stitch_reads"] == 0 for summary in run.summaries)


def test_counts_are_exact_per_bucket(corpus: Any, deliver: Any) -> None:
    """Every event of an error entry is counted once across the invocations: in the
    errors of the invocation that received it, or read by the one that shipped it."""
    payloads, _ = corpus
    run = deliver(payloads)
    in_errors = sum(summary["events_in_errors"] for summary in run.summaries)
    stitched = sum(summary["events_stitched"] for summary in run.summaries)
    continued = sum(summary["events_continued"] for summary in run.summaries)
    assert in_errors + stitched == sum(len(entry.event_ids) for entry in error_entries())
    # What was read for an error was, where it was received, a continued event; a
    # continued event may also belong to an INFO entry that nobody reads for.
    assert stitched <= continued
    kinds = Counter(summary["kind"] for summary in run.summaries)
    assert kinds == {"cloudwatch": len(payloads)}


def multiline_payloads(payloads: list[Payload], *, errors_only: bool = False) -> list[Payload]:
    """The corpus as the awslogs driver sends it with ``awslogs-multiline-pattern``.

    One event per entry (its lines joined, the id and timestamp of its first line),
    each stream's entries cut into payloads of 1 to 8 entries. ``errors_only``: as
    a subscription filter pattern that passes only error entries would deliver.
    """
    events = {event[0]: event for p in payloads for event in p.events}
    with gzip.open(CORPUS / "truth.json.gz", "rt", encoding="utf-8") as file:
        truth = json.load(file)["entries"]
    streams: dict[tuple[str, str], list[tuple[str, int, str]]] = defaultdict(list)
    for entry in truth:
        if errors_only and not entry["error"]:
            continue
        first = events[entry["event_ids"][0]]
        text = "\n".join(events[i][2] for i in entry["event_ids"])
        streams[entry["log_group"], entry["log_stream"]].append((first[0], first[1], text))
    rng = random.Random(5)
    out = []
    for (group, stream), entries in streams.items():
        entries.sort(key=lambda event: event[1])
        start = 0
        while start < len(entries):
            size = rng.randint(1, 8)
            out.append(Payload(group, stream, tuple(entries[start : start + size])))
            start += size
    rng.shuffle(out)
    return out


class TestMultilineEvents:
    """With awslogs-multiline-pattern, one event is one entry: no trace is ever cut."""

    @pytest.mark.parametrize("errors_only", [False, True])
    def test_same_errors_without_stitching(
        self, corpus: Any, deliver: Any, monkeypatch: pytest.MonkeyPatch, errors_only: bool
    ) -> None:
        """Every error shipped once, whole, with replay's fingerprint; no read needed.

        ``errors_only``: a subscription filter pattern passing only error entries (the
        cheap set-up this makes possible) loses nothing either.
        """
        payloads, _ = corpus
        monkeypatch.setenv("LOGSHIP_STITCHING", "off")
        aws_lambda.container.cache_clear()
        run = deliver(multiline_payloads(payloads, errors_only=errors_only))
        entries = error_entries()
        figures = measure(run.events, entries, replay_fingerprints(payloads), multiline=True)
        name = "multiline events" + (", errors only" if errors_only else "")
        print(f"\nlambda ({name}): {figures.line(len(entries))}", file=sys.stderr)
        assert figures.exact == len(entries)  # each entry's one event, nothing joined to it
        assert figures.detected == len(entries)
        assert figures.shipped_twice == 0
        assert figures.bogus == 0
        assert figures.same_fingerprint_as_replay == len(entries)
        assert figures.f1 >= 0.99
        for summary in run.summaries:
            assert summary["balanced"], summary
