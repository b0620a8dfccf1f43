"""Tests for the envelopes logship.sink.SentrySink posts.

Each event goes out as built: in an envelope of its own (sentry-sdk's public
``Envelope``), with our ``event_id`` in the header, and a payload whose JSON is
exactly the dict :func:`~logship.event.build_event` returned, which Relay's
normalizer accepts. Checked on the events logship builds from the evaluation
corpus and the trace fixtures, and on generated JSON events.
"""

from __future__ import annotations

import ast
import gzip
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fakesentry import fake_sentry, parse_envelope
from hypothesis import given
from hypothesis import strategies as st
from lambda_payloads import kinesis_event, traces_payloads
from sentry_relay.processing import StoreNormalizer
from sentry_sdk.envelope import Envelope

from logship.config import Config
from logship.decode import from_lambda_event
from logship.deliver import deliver
from logship.event import EventSettings
from logship.pipeline import RunReport, run
from logship.sink import MemorySink, SentrySink, envelope_bytes

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus" / "data" / "subscription-events.jsonl.gz"
SENT_AT = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
NORMALIZER = StoreNormalizer(project_id=1)


def _built(lambda_events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events logship builds from ``lambda_events`` (default config and settings)."""
    sink, config = MemorySink(), Config()
    for lambda_event in lambda_events:
        report = RunReport()
        deliver(
            run(from_lambda_event(lambda_event), config, report),
            sink=sink,
            settings=EventSettings(environment="prod", release="orders@1.2.3"),
            report=report,
            budget=lambda: 30.0,
            max_per_fingerprint=config.max_events_per_fingerprint,
        )
    return sink.events


def _corpus_events() -> Iterator[dict[str, Any]]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


@pytest.fixture(scope="module")
def built_events() -> list[dict[str, Any]]:
    """Events built from the evaluation corpus and the Python trace fixtures."""
    events = _built([*_corpus_events(), kinesis_event(traces_payloads())])
    assert len(events) > 100
    return events


class TestEnvelopeBytes:
    def test_built_events_go_out_as_built(self, built_events: list[dict[str, Any]]) -> None:
        """Every built event is the one item of its envelope, its JSON equal to the dict."""
        for event in built_events:
            headers, items = parse_envelope(envelope_bytes(event, sent_at=SENT_AT))
            assert headers == {
                "event_id": event["event_id"],
                "sent_at": "2024-05-01T12:00:00.123456Z",
            }
            ((item_headers, payload),) = items
            assert item_headers["type"] == "event"
            assert item_headers["length"] == len(payload)
            assert json.loads(payload) == event

    def test_relay_accepts_every_payload(self, built_events: list[dict[str, Any]]) -> None:
        """Relay's normalizer finds nothing to reject in any payload as it goes on the wire."""
        for event in built_events:
            _, ((_, payload),) = parse_envelope(envelope_bytes(event, sent_at=SENT_AT))
            result = NORMALIZER.normalize_event(raw_event=payload)
            assert result.get("errors") is None, (event["event_id"], result.get("errors"))

    def test_sentry_sdk_reads_it_back(self, built_events: list[dict[str, Any]]) -> None:
        """sentry-sdk's own envelope parser finds the same event in the bytes."""
        event = built_events[0]
        envelope = Envelope.deserialize(envelope_bytes(event, sent_at=SENT_AT))
        assert envelope.headers["event_id"] == event["event_id"]
        assert envelope.get_event() == event

    @given(
        event=st.fixed_dictionaries(
            {"event_id": st.text(st.characters(codec="utf-8"), min_size=1, max_size=32)},
            optional={
                "extra": st.dictionaries(
                    st.text(max_size=8),
                    st.recursive(
                        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                        lambda inner: (
                            st.lists(inner, max_size=4)
                            | st.dictionaries(st.text(max_size=4), inner, max_size=4)
                        ),
                        max_leaves=20,
                    ),
                    max_size=6,
                ),
                "timestamp": st.floats(0, 2e9),
            },
        )
    )
    def test_any_json_event_round_trips(self, event: dict[str, Any]) -> None:
        """Whatever JSON the event holds (any text, newlines included), the payload is it."""
        _, items = parse_envelope(envelope_bytes(event, sent_at=SENT_AT))
        ((_, payload),) = items
        assert json.loads(payload) == event

    @pytest.mark.parametrize("value", [math.nan, math.inf, b"bytes", {1, 2}], ids=repr)
    def test_not_json_is_refused(self, value: object) -> None:
        """A value JSON cannot carry is an error, never a silently rewritten event."""
        with pytest.raises((TypeError, ValueError)):
            envelope_bytes({"event_id": "a" * 32, "extra": {"x": value}}, sent_at=SENT_AT)


class TestSentrySinkPayload:
    def test_payload_frozen_at_send(self) -> None:
        """Changing the event after send does not change what is posted."""
        extra = {"raw_log": "before"}
        with fake_sentry() as server:
            sink = SentrySink(server.dsn)
            sink.send({"event_id": "d" * 32, "timestamp": 1.0, "extra": extra})
            extra["raw_log"] = "after"
            assert sink.flush(5).ok
            sink.close()
        assert server.events == [
            {"event_id": "d" * 32, "timestamp": 1.0, "extra": {"raw_log": "before"}}
        ]

    def test_event_that_is_not_json_fails_alone(self) -> None:
        """An event JSON cannot carry is reported failed; the others are delivered."""
        good = {"event_id": "e" * 32, "level": "error"}
        bad = {"event_id": "f" * 32, "extra": {"ratio": math.nan}}
        with fake_sentry() as server:
            sink = SentrySink(server.dsn)
            sink.send(bad)
            sink.send(good)
            result = sink.flush(5)
            sink.close()
        assert result.delivered == (good["event_id"],)
        ((event_id, reason),) = [(f.event_id, f.reason) for f in result.failed]
        assert event_id == bad["event_id"]
        assert "not JSON" in reason
        assert server.events == [good]

    def test_sent_at_from_the_injected_clock(self) -> None:
        """The envelope's sent_at is the sink's ``now``, in UTC with a Z."""
        with fake_sentry() as server:
            sink = SentrySink(server.dsn, now=lambda: SENT_AT)
            sink.send({"event_id": "a" * 32})
            assert sink.flush(5).ok
            sink.close()
        (request,) = server.requests
        assert request.envelope_headers["sent_at"] == "2024-05-01T12:00:00.123456Z"


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for an attribute chain on a name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _sentry_sdk_names(source: str) -> Iterator[str]:
    """Every ``sentry_sdk`` module and name ``source`` imports or reads, dotted."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sentry_sdk"):
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("sentry_sdk"))
        elif isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted is not None and dotted.startswith("sentry_sdk."):
                yield dotted


class TestPublicSentrySdkOnly:
    def test_no_private_names(self) -> None:
        """logship uses sentry-sdk through names it publishes: none starts with an underscore."""
        for path in sorted((ROOT / "logship").rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            private = [
                n for n in _sentry_sdk_names(source) if any(p.startswith("_") for p in n.split("."))
            ]
            assert not private, f"{path.relative_to(ROOT)}: {private}"

    def test_pinned_below_next_major(self) -> None:
        """pyproject.toml bounds sentry-sdk to its current major version."""
        text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
        assert '"sentry-sdk>=2.0,<3"' in text
