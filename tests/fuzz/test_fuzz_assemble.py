"""Fuzzing the reassembler: any interleaving of real trace lines and noise.

Every event ends up in exactly one record, whatever the order, the streams,
the timestamps and the limits.
"""

from __future__ import annotations

from collections import Counter

from fuzz_inputs import FUZZ, LINES
from hypothesis import given
from hypothesis import strategies as st

from logship.assemble import assemble
from logship.config import AssemblyLimits
from logship.records import LogEvent

EVENTS = st.lists(st.tuples(st.integers(0, 3), st.integers(-5_000, 20_000), LINES), max_size=120)
LIMITS = st.builds(
    AssemblyLimits,
    max_lines=st.integers(1, 50),
    max_chars=st.integers(1, 4096),
    max_age_ms=st.integers(0, 20_000),
    reorder_window_ms=st.integers(0, 5_000),
    max_open_streams=st.integers(1, 4),
)


class TestFuzzAssemble:
    @FUZZ
    @given(EVENTS, LIMITS)
    def test_every_event_in_exactly_one_record(
        self, raw: list[tuple[int, int, str]], limits: AssemblyLimits
    ) -> None:
        """No event is lost or doubled; records never exceed their line limit by a whole event."""
        events = [
            LogEvent("/ecs/x", f"stream{stream}", f"{i:056d}", 1_714_557_600_000 + dt, line)
            for i, (stream, dt, line) in enumerate(raw)
        ]
        records = list(assemble(events, limits))
        seen = Counter(event_id for record in records for event_id in record.event_ids)
        assert seen == Counter(event.event_id for event in events)
        for record in records:
            assert len({record.log_stream}) == 1
            assert record.lines
