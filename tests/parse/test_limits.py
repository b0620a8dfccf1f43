"""Tests for logship.parse._limits: the bounds every language parser shares."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from logship.parse._limits import (
    MAX_EXCEPTIONS,
    MAX_FRAMES_KEPT,
    FrameWindow,
    cap_chain,
    cap_frames,
    chain_window,
)


class TestCapFrames:
    def test_short_stack_is_kept_whole(self) -> None:
        """A stack of exactly both ends' worth is returned as is, nothing counted."""
        frames = list(range(2 * MAX_FRAMES_KEPT))
        assert cap_frames(frames) == (tuple(frames), 0)

    def test_long_stack_keeps_both_ends(self) -> None:
        """One frame too many: the middle one is cut and counted."""
        frames = list(range(2 * MAX_FRAMES_KEPT + 1))
        kept, cut = cap_frames(frames)
        assert cut == 1
        assert kept[:MAX_FRAMES_KEPT] == tuple(range(MAX_FRAMES_KEPT))
        assert kept[MAX_FRAMES_KEPT:] == tuple(range(MAX_FRAMES_KEPT + 1, 2 * MAX_FRAMES_KEPT + 1))


class TestCapChain:
    def test_short_chain_is_unchanged(self) -> None:
        """A chain at the limit is returned as is."""
        chain = tuple(range(MAX_EXCEPTIONS))
        assert cap_chain(chain) == chain

    def test_long_chain_keeps_outer_and_root_halves(self) -> None:
        """A chain past the limit keeps its outermost half and its root-cause half."""
        chain = tuple(range(MAX_EXCEPTIONS + 20))
        capped = cap_chain(chain)
        assert len(capped) == MAX_EXCEPTIONS
        assert capped[0] == 0
        assert capped[-1] == chain[-1]
        assert capped[MAX_EXCEPTIONS // 2 - 1] == MAX_EXCEPTIONS // 2 - 1
        assert capped[MAX_EXCEPTIONS // 2] == 20 + MAX_EXCEPTIONS // 2


class TestFrameWindow:
    def test_empty(self) -> None:
        """Nothing added: nothing kept, nothing omitted."""
        window: FrameWindow[str] = FrameWindow()
        assert window.kept() == []
        assert (window.count, window.omitted) == (0, 0)

    def test_keeps_first_and_last_items_in_order(self) -> None:
        """Ten items through a window of three: 0-2 and 7-9 kept, four omitted."""
        window: FrameWindow[int] = FrameWindow(3)
        for item in range(10):
            window.add(item)
        assert window.kept() == [0, 1, 2, 7, 8, 9]
        assert (window.count, window.omitted) == (10, 4)

    @given(st.lists(st.integers(), max_size=60), st.integers(min_value=1, max_value=20))
    def test_agrees_with_cap_frames(self, items: list[int], size: int) -> None:
        """Streaming through the window keeps what capping the whole list would."""
        window: FrameWindow[int] = FrameWindow(size)
        for item in items:
            window.add(item)
        if len(items) <= 2 * size:
            expected, cut = items, 0
        else:
            expected = items[:size] + items[-size:]
            cut = len(items) - 2 * size
        assert window.kept() == expected
        assert window.omitted == cut
        assert window.count == len(items)

    def test_default_size_matches_cap_frames(self) -> None:
        """With the default size the window keeps exactly what cap_frames keeps."""
        items = list(range(3 * MAX_FRAMES_KEPT))
        window: FrameWindow[int] = FrameWindow()
        for item in items:
            window.add(item)
        assert (tuple(window.kept()), window.omitted) == cap_frames(items)


class TestChainWindow:
    @given(st.integers(min_value=0, max_value=3 * MAX_EXCEPTIONS))
    def test_agrees_with_cap_chain(self, length: int) -> None:
        """Reading a chain one exception at a time keeps what capping the whole chain would."""
        window: FrameWindow[int] = chain_window()
        for item in range(length):
            window.add(item)
        assert tuple(window.kept()) == cap_chain(tuple(range(length)))
        assert window.count == length

    def test_latest_is_the_last_added_even_when_dropped_later(self) -> None:
        """``latest`` is the item just added, in the head or the tail of the window."""
        window: FrameWindow[int] = FrameWindow(2)
        seen = []
        for item in range(7):
            window.add(item)
            seen.append(window.latest)
        assert seen == list(range(7))
