"""The captured trace fixtures (``tests/fixtures/traces``) as text, for tests that feed them all."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

TRACES = Path(__file__).parent / "fixtures" / "traces"
TEXT_SUFFIXES = (".txt", ".log", ".json", ".jsonl")


def fixture_texts() -> Iterator[tuple[Path, str]]:
    """Every fixture file and its text (gzip ones inflated), in path order."""
    for path in sorted(TRACES.rglob("*")):
        if path.suffix == ".gz":
            yield path, gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        elif path.suffix in TEXT_SUFFIXES:
            yield path, path.read_text("utf-8", "replace")
