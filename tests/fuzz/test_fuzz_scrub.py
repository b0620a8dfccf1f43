"""Fuzzing the scrubber: any text, any event shape."""

from __future__ import annotations

from fuzz_inputs import FUZZ, JSON_VALUES, TEXTS
from hypothesis import given
from hypothesis import strategies as st

from logship.scrub import DEFAULT_SCRUBBER


class TestFuzzScrub:
    @FUZZ
    @given(st.one_of(TEXTS, st.text(max_size=2000)))
    def test_text_idempotent(self, text: str) -> None:
        """Scrubbing never raises and a second pass changes nothing."""
        once = DEFAULT_SCRUBBER.scrub_text(text)
        assert DEFAULT_SCRUBBER.scrub_text(once) == once

    @FUZZ
    @given(st.dictionaries(st.text(max_size=20), JSON_VALUES, max_size=8))
    def test_any_event_shape(self, event: dict[str, object]) -> None:
        """Any JSON shape is walked without raising; keys are kept."""
        scrubbed = DEFAULT_SCRUBBER.scrub_event(event)
        assert scrubbed.keys() == event.keys()
