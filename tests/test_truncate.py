"""Tests for logship.truncate: cutting strings and sequences, measuring events."""

from __future__ import annotations

import itertools
import json
import random
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logship.truncate import (
    COMPRESSED_BYTES_BUDGET,
    ELLIPSIS,
    EVENT_BYTES_BUDGET,
    LEVELS,
    SURELY_FITS_BYTES,
    clean,
    cut,
    cut_left,
    event_size,
    json_bound,
    scalar_json_bound,
    shorten_key,
    surely_fits,
    trim_middle,
    within_budget,
)


class TestClean:
    def test_lone_surrogate_is_replaced(self) -> None:
        """A lone surrogate (from json.loads of "\\ud800") becomes encodable text."""
        cleaned = clean("a\ud800b")
        assert cleaned == "a?b"
        cleaned.encode("utf-8")

    def test_valid_text_is_unchanged(self) -> None:
        """ASCII and valid non-ASCII text come back as they were."""
        assert clean("plain") == "plain"
        assert clean("caf\u00e9 \U0001f600") == "caf\u00e9 \U0001f600"


class TestCut:
    def test_short_text_is_kept(self) -> None:
        """Text within the limit is returned whole, with no marker."""
        assert cut("hello", 5) == "hello"

    def test_long_text_ends_in_ellipsis_within_limit(self) -> None:
        """Cut text keeps the beginning, ends in "…" and has exactly ``limit`` characters."""
        result = cut("abcdefghij", 5)
        assert result == "abcd" + ELLIPSIS
        assert len(result) == 5

    def test_zero_limit(self) -> None:
        """A limit of zero leaves nothing."""
        assert cut("abc", 0) == ""

    def test_cut_left_keeps_the_end(self) -> None:
        """cut_left keeps the last part, the one that matters in a dotted name."""
        result = cut_left("com.shop.orders.OrderService", 13)
        assert result == ELLIPSIS + "OrderService"
        assert len(result) == 13

    @given(st.text(), st.integers(min_value=0, max_value=50))
    def test_never_longer_than_limit(self, text: str, limit: int) -> None:
        """Whatever the text, the result fits the limit and encodes as UTF-8."""
        for result in (cut(text, limit), cut_left(text, limit)):
            assert len(result) <= max(limit, 0)
            result.encode("utf-8")


class TestShortenKey:
    def test_short_key_unchanged(self) -> None:
        """A key within the limit is kept as is."""
        assert shorten_key("order-service", 64) == "order-service"

    def test_long_keys_differing_at_the_end_stay_distinct(self) -> None:
        """Two long keys that differ only past the limit do not collapse into one."""
        first, second = "x" * 500 + "a", "x" * 500 + "b"
        short_first, short_second = shorten_key(first, 64), shorten_key(second, 64)
        assert short_first != short_second
        assert len(short_first) <= 64
        assert shorten_key(first, 64) == short_first  # stable


class TestTrimMiddle:
    def test_short_sequence_kept_whole(self) -> None:
        """Nothing is left out of a sequence within head + tail."""
        trimmed = trim_middle([1, 2, 3], 2, 2)
        assert trimmed.items == (1, 2, 3)
        assert trimmed.omitted is None
        assert trimmed.omitted_count == 0

    def test_middle_is_left_out(self) -> None:
        """The first head and last tail items are kept; the omitted range is the middle."""
        trimmed = trim_middle(list(range(10)), 2, 3)
        assert trimmed.items == (0, 1, 7, 8, 9)
        assert trimmed.omitted == (2, 7)
        assert trimmed.omitted_count == 5


class TestEventSize:
    def test_counts_ascii_escaped_json(self) -> None:
        """Non-ASCII costs what sentry-sdk sends: a \\uXXXX escape per UTF-16 unit."""
        raw, compressed = event_size({"m": "\U0001f600"})
        sent = b'{"m":"\\ud83d\\ude00"}'
        assert raw == len(sent)
        assert compressed == len(zlib.compress(sent, 6))

    def test_within_budget(self) -> None:
        """A small event fits; one past the raw budget does not."""
        assert within_budget({"message": "small"})
        assert not within_budget({"message": "x" * (EVENT_BYTES_BUDGET + 1)})

    def test_incompressible_event_is_measured_compressed(self) -> None:
        """Random text under the raw budget can still break the compressed budget."""
        rng = random.Random(7)
        noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(400_000))
        raw, compressed = event_size({"m": noise})
        assert raw < EVENT_BYTES_BUDGET
        assert compressed > COMPRESSED_BYTES_BUDGET
        assert not within_budget({"m": noise})


class TestLevels:
    def test_levels_get_tighter(self) -> None:
        """Each level keeps no more of anything than the one before it."""
        for looser, tighter in itertools.pairwise(LEVELS):
            for name in looser.__dataclass_fields__:
                assert getattr(tighter, name) <= getattr(looser, name), name

    def test_first_level_within_relay_trimming(self) -> None:
        """The first level never leaves Relay anything to trim (250 frames, 8192 chars)."""
        assert LEVELS[0].frames <= 250
        assert LEVELS[0].text <= 8192


def _straightforward_within_budget(event: object) -> bool:
    """``within_budget`` as first written: serialize, then compress whatever fits raw."""
    data = json.dumps(event, allow_nan=False, separators=(",", ":")).encode("ascii")
    if len(data) > EVENT_BYTES_BUDGET:
        return False
    return len(zlib.compress(data, 6)) <= COMPRESSED_BYTES_BUDGET


class TestSurelyFits:
    def test_incompressible_json_of_the_threshold_size_fits(self) -> None:
        """The worst case for deflate, random printable ASCII, still compresses within budget."""
        rng = random.Random(7)
        alphabet = [chr(c) for c in range(32, 127) if chr(c) not in '"\\']
        text = "".join(rng.choices(alphabet, k=SURELY_FITS_BYTES - 2))
        data = json.dumps(text).encode("ascii")
        assert len(data) == SURELY_FITS_BYTES
        assert surely_fits(len(data))
        assert len(zlib.compress(data, 6)) <= COMPRESSED_BYTES_BUDGET
        assert len(zlib.compress(data, 9)) <= COMPRESSED_BYTES_BUDGET
        assert len(zlib.compress(data, 1)) <= COMPRESSED_BYTES_BUDGET

    def test_threshold_leaves_room_under_both_budgets(self) -> None:
        """The threshold plus deflate's worst growth stays under the compressed budget."""
        assert SURELY_FITS_BYTES <= EVENT_BYTES_BUDGET
        assert SURELY_FITS_BYTES * 9 // 8 + 64 <= COMPRESSED_BYTES_BUDGET
        assert not surely_fits(SURELY_FITS_BYTES + 1)

    @given(
        size=st.integers(min_value=0, max_value=EVENT_BYTES_BUDGET + 5000),
        seed=st.integers(min_value=0, max_value=2**16),
        repetitive=st.booleans(),
    )
    @settings(max_examples=40, deadline=None)
    def test_within_budget_unchanged(self, size: int, seed: int, repetitive: bool) -> None:
        """Skipping the compression of small events gives the answer compressing gives."""
        rng = random.Random(seed)
        alphabet = "ab" if repetitive else "".join(map(chr, range(32, 127)))
        event = {"extra": {"raw_log": "".join(rng.choices(alphabet, k=size))}}
        assert within_budget(event) == _straightforward_within_budget(event)


class TestJsonBounds:
    @given(st.text(st.characters(exclude_categories=()), max_size=200))
    @settings(max_examples=500, deadline=None)
    def test_json_bound_of_any_text(self, text: str) -> None:
        """No string's JSON, as sentry-sdk writes it, is longer than its bound."""
        assert len(json.dumps(text)) <= json_bound(text)

    def test_json_bound_worst_cases(self) -> None:
        """Control characters take six bytes each, characters outside the BMP twelve."""
        for text in ("\x00" * 50, "\U0001f600" * 50, "\ud800" * 50, '"\\' * 50):
            assert len(json.dumps(text)) <= json_bound(text)
        assert json_bound("\x1f") == len(json.dumps("\x1f"))

    @given(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(st.characters(exclude_categories=()), max_size=50)
    )
    @settings(max_examples=500, deadline=None)
    def test_scalar_json_bound(self, value: object) -> None:
        """Every JSON scalar's serialized length is within its bound."""
        bound = scalar_json_bound(value)
        assert bound is not None
        assert len(json.dumps(value, allow_nan=False)) <= bound

    @pytest.mark.parametrize("value", [float("nan"), float("inf"), [1], {"a": 1}, (1,), object()])
    def test_no_bound_for_what_only_serializing_can_measure(self, value: object) -> None:
        """Containers, NaN, infinities and other objects get no bound: the caller serializes."""
        assert scalar_json_bound(value) is None
