"""The evaluation corpus: issue 2's "Done when", measured.

``tests/corpus/data`` holds CloudWatch subscription events produced by real
runtimes (``tests/corpus/generate.py`` runs the programs under
``tests/corpus/programs`` and regenerates them) and the ground truth: for each
logical log entry its event ids, whether it is an error and its group label
(``service:scenario``). The whole pipeline runs with the default ``Config()``:

- every error entry is detected (recall 1.0);
- at least 98% of error entries are reassembled exactly (same event id set);
- no INFO/WARN entry is reported as an error;
- grouping, as pairwise F1 over error entries (same fingerprint vs same label),
  is at least 0.99.

Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from logship.assemble import assemble
from logship.config import Config
from logship.decode import from_lambda_event
from logship.pipeline import Item, RunReport, errors
from logship.records import Fingerprinted, LogEvent

CORPUS = Path(__file__).parent / "corpus" / "data"
EXAMPLE = Path(__file__).parents[1] / "examples" / "sample-subscription-events.jsonl.gz"


def corpus_items(path: Path = CORPUS / "subscription-events.jsonl.gz") -> Iterator[Item]:
    """The decoded corpus: one subscription Lambda event per line."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield from from_lambda_event(json.loads(line))


def truth() -> list[dict[str, Any]]:
    with gzip.open(CORPUS / "truth.json.gz", "rt", encoding="utf-8") as file:
        entries: list[dict[str, Any]] = json.load(file)["entries"]
    return entries


@dataclass(frozen=True, slots=True)
class Figures:
    """The corpus measured against its ground truth."""

    error_entries: int
    detected: int
    exact: int
    info_reported: list[dict[str, Any]]
    missed: list[dict[str, Any]]
    inexact: list[tuple[dict[str, Any], tuple[str, ...]]]
    precision: float
    recall: float
    f1: float
    split_labels: dict[str, set[tuple[str, ...]]]
    merged_fingerprints: dict[tuple[str, ...], set[str]]
    report: RunReport

    def summary(self) -> str:
        return (
            f"error entries {self.error_entries}, detected {self.detected} "
            f"({self.detected / self.error_entries:.1%}), exact {self.exact} "
            f"({self.exact / self.error_entries:.1%}), INFO reported {len(self.info_reported)}, "
            f"grouping precision {self.precision:.4f} recall {self.recall:.4f} F1 {self.f1:.4f}"
        )


def pairwise(labels: list[str], keys: list[tuple[str, ...]]) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of ``keys`` as a clustering of ``labels``."""
    true_positive = false_positive = false_negative = 0
    for (label_a, key_a), (label_b, key_b) in combinations(zip(labels, keys, strict=True), 2):
        same_label, same_key = label_a == label_b, key_a == key_b
        true_positive += same_label and same_key
        false_positive += same_key and not same_label
        false_negative += same_label and not same_key
    precision = true_positive / (true_positive + false_positive) if true_positive else 0.0
    recall = true_positive / (true_positive + false_negative) if true_positive else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def measure() -> Figures:
    report = RunReport()
    found: list[Fingerprinted] = list(errors(corpus_items(), Config(), report))
    by_event: dict[str, Fingerprinted] = {}
    for item in found:
        for event_id in item.error.event_ids:
            by_event[event_id] = item
    entries = truth()
    error_entries = [entry for entry in entries if entry["error"]]
    missed: list[dict[str, Any]] = []
    inexact: list[tuple[dict[str, Any], tuple[str, ...]]] = []
    labels: list[str] = []
    keys: list[tuple[str, ...]] = []
    for entry in error_entries:
        found_item = by_event.get(entry["event_ids"][0])
        if found_item is None:
            missed.append(entry)
            continue
        if set(found_item.error.event_ids) != set(entry["event_ids"]):
            inexact.append((entry, found_item.error.event_ids))
        labels.append(entry["label"])
        keys.append(found_item.fingerprint)
    # An INFO entry is reported when an error record starts with its first event.
    starts = {item.error.event_ids[0] for item in found}
    info_reported = [
        entry for entry in entries if not entry["error"] and entry["event_ids"][0] in starts
    ]
    precision, recall, f1 = pairwise(labels, keys)
    split: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    merged: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for label, key in zip(labels, keys, strict=True):
        split[label].add(key)
        merged[key].add(label)
    return Figures(
        error_entries=len(error_entries),
        detected=len(error_entries) - len(missed),
        exact=len(error_entries) - len(missed) - len(inexact),
        info_reported=info_reported,
        missed=missed,
        inexact=inexact,
        precision=precision,
        recall=recall,
        f1=f1,
        split_labels={label: keys for label, keys in split.items() if len(keys) > 1},
        merged_fingerprints={key: found for key, found in merged.items() if len(found) > 1},
        report=report,
    )


@pytest.fixture(scope="module")
def figures() -> Figures:
    result = measure()
    print("\ncorpus:", result.summary())
    return result


class TestCorpusData:
    """The corpus itself has what the issue asks of it."""

    def test_shape(self) -> None:
        """Several services, at least 30 groups, INFO noise, traces over many events."""
        entries = truth()
        labels = {entry["label"] for entry in entries if entry["label"]}
        services = {entry["log_group"] for entry in entries}
        multi_event = [e for e in entries if e["error"] and len(e["event_ids"]) > 1]
        assert len(labels) >= 30
        assert len(services) >= 5
        assert sum(not entry["error"] for entry in entries) > 5 * len(labels)
        assert len(multi_event) > 50

    def test_traps_present(self) -> None:
        """The same scenario appears in two services; each group occurs more than once."""
        entries = [entry for entry in truth() if entry["label"]]
        scenarios: dict[str, set[str]] = defaultdict(set)
        for entry in entries:
            service, scenario = entry["label"].split(":", 1)
            scenarios[scenario].add(service)
        assert max(len(services) for services in scenarios.values()) >= 2
        counts = Counter(entry["label"] for entry in entries)
        assert min(counts.values()) >= 2


class TestReassembly:
    """The assembler alone against the ground truth (no parsers involved)."""

    def test_every_entry_reassembled(self) -> None:
        """Across payloads, interleaved streams and swapped payloads, entries come back whole."""
        events = [item for item in corpus_items() if isinstance(item, LogEvent)]
        records = {frozenset(r.event_ids) for r in assemble(events, Config().assembly)}
        entries = truth()
        wrong = [e for e in entries if frozenset(e["event_ids"]) not in records]
        errors_wrong = [e for e in wrong if e["error"]]
        error_count = sum(e["error"] for e in entries)
        print(f"\nreassembly: {len(entries) - len(wrong)}/{len(entries)} entries exact")
        assert len(errors_wrong) <= 0.02 * error_count, errors_wrong[:5]
        assert not wrong, [(e["label"], e["log_stream"], len(e["event_ids"])) for e in wrong[:5]]


class TestEvaluation:
    """The whole pipeline against the ground truth."""

    def test_every_error_detected(self, figures: Figures) -> None:
        """Recall 1.0 on error entries."""
        assert not figures.missed, [(e["label"], e["log_stream"]) for e in figures.missed]

    def test_reassembled_exactly(self, figures: Figures) -> None:
        """At least 98% of error entries come out with exactly their event ids."""
        assert figures.exact >= 0.98 * figures.error_entries, [
            (entry["label"], len(entry["event_ids"]), len(got)) for entry, got in figures.inexact
        ]

    def test_no_info_reported(self, figures: Figures) -> None:
        """No INFO or WARN entry becomes an error."""
        assert not figures.info_reported, figures.info_reported[:5]

    def test_grouping_f1(self, figures: Figures) -> None:
        """Pairwise F1 of fingerprints against the labels is at least 0.99."""
        assert figures.f1 >= 0.99, (
            figures.summary(),
            {label: sorted(keys) for label, keys in figures.split_labels.items()},
            {key: sorted(labels) for key, labels in figures.merged_fingerprints.items()},
        )

    def test_report_balanced(self, figures: Figures) -> None:
        """Every event of the corpus is accounted for in the run report."""
        assert figures.report.balanced()
        assert figures.report.events_invalid == 0
        assert figures.report.errors == figures.detected + len(figures.info_reported)


class TestExample:
    """The README's sample dump."""

    def test_sample_has_errors_of_several_services(self) -> None:
        """The quick start shows groups from several services."""
        report = RunReport()
        found = list(errors(corpus_items(EXAMPLE), Config(), report))
        assert 200 <= report.events_received <= 1_000
        assert len({item.error.service for item in found}) >= 5
        assert report.events_invalid == 0
