"""Fuzzing every language parser and the stages after it, on mutated real traces.

Each parser takes any text without raising; the parse stage, the fingerprint
and the event builder (scrubbing included) turn whatever it finds into an
event within Sentry's limits, whose fingerprint scrubbing leaves untouched.
"""

from __future__ import annotations

import json

import pytest
from fuzz_inputs import FUZZ, TEXTS
from hypothesis import given

from logship.config import Config
from logship.event import EventSettings, build_event
from logship.fingerprint import fingerprint
from logship.parse import language_parsers, parse_record
from logship.parse._limits import MAX_EXCEPTIONS, MAX_FRAMES_KEPT
from logship.records import ExceptionInfo, LogRecord, Trace
from logship.scrub import Scrubber
from logship.truncate import within_budget

OFF = EventSettings(scrubber=Scrubber.disabled())
ON = EventSettings()


@pytest.mark.parametrize("language", [name for name, _ in language_parsers()])
class TestFuzzParsers:
    @FUZZ
    @given(text=TEXTS)
    def test_any_text(self, language: str, text: str) -> None:
        """The parser returns None or a well-formed trace; it never raises."""
        parse = dict(language_parsers())[language]
        trace = parse(text)
        if trace is None:
            return
        assert isinstance(trace, Trace)
        assert trace.chain
        assert trace.chain[0].relation is None
        assert len(trace.chain) <= MAX_EXCEPTIONS
        for exc in (*trace.chain, *trace.related):
            assert isinstance(exc, ExceptionInfo)
            assert isinstance(exc.type, str)
            assert exc.frames_omitted >= 0
            assert len(exc.frames) <= 2 * MAX_FRAMES_KEPT


class TestFuzzPipelineTail:
    @FUZZ
    @given(text=TEXTS)
    def test_record_to_event(self, text: str) -> None:
        """Any record: parsed or not; if an error, its event is valid JSON within budget, and
        scrubbing does not change its fingerprint."""
        lines = tuple(text.split("\n"))
        record = LogRecord(
            "/ecs/x", "s", "123456789012", "eu-west-1", 1_714_557_600_000, ("1" * 56,), lines
        )
        error = parse_record(record, Config())
        if error is None:
            return
        item = fingerprint(error)
        event = build_event(item, ON)
        json.dumps(event, allow_nan=False)
        assert within_budget(event)
        assert event.get("fingerprint") == build_event(item, OFF).get("fingerprint")
