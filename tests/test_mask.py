"""Tests for logship.mask: message templates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logship.mask import DEFAULT_MASKS, MaskInstruction, is_masked, template


class TestTemplate:
    @pytest.mark.parametrize(
        ("message", "expected"),
        [
            ("Order 8812 failed", "Order <NUM> failed"),
            ("charged 12.50 EUR", "charged <NUM> EUR"),
            ("at 2024-05-01T12:00:00.123Z", "at <TIMESTAMP>"),
            ("at 2024-05-01 12:00:00,123", "at <TIMESTAMP>"),
            ("mail bob@example.com", "mail <EMAIL>"),
            ("id 3f2b8c1e-9d4a-4c1b-8e2f-0a1b2c3d4e5f", "id <UUID>"),
            ("peer 10.0.3.17:5432 reset", "peer <IP> reset"),
            ("hash 5f3a9c2e1b77", "hash <HEX>"),
            ('For input string: "12x"', "For input string: <QUOTED>"),
            ("KeyError 'sku'", "KeyError <QUOTED>"),
            ("user=alice id=42", "user=<VALUE> id=<VALUE>"),
            ("User alice not found", "User <NAME> not found"),
            ("took 350ms", "took <DURATION>"),
            ("order ORD9A8B7C", "order <ID>"),
        ],
    )
    def test_masks_variable_parts(self, message: str, expected: str) -> None:
        """Each kind of variable data is replaced by its named mask."""
        assert template(message) == expected

    def test_keeps_words_without_digits(self) -> None:
        """Prose is left alone: masks only take what looks like data."""
        assert template("Connection refused by upstream") == "Connection refused by upstream"

    def test_user_not_followed_by_name_is_kept(self) -> None:
        """'user not found' has no name in it to mask."""
        assert template("user not found") == "user not found"

    def test_uses_first_line_only(self) -> None:
        """Multi-line messages are templated by their first line."""
        assert template('bad payload 42\n{"a": 1}') == "bad payload <NUM>"

    def test_collapses_whitespace(self) -> None:
        """Alignment padding does not split a template."""
        assert template("  a   b\tc  ") == "a b c"

    def test_caps_input(self) -> None:
        """A 10 MB message cannot produce a 10 MB template."""
        assert len(template("x" * 10_000_000)) <= 2000

    def test_custom_instructions(self) -> None:
        """Callers can bring their own ordered instructions."""
        masks = (MaskInstruction("SKU", r"\bSKU-\w+"), *DEFAULT_MASKS)
        assert template("missing SKU-AB12", masks) == "missing <SKU>"

    def test_is_masked(self) -> None:
        """is_masked spots mask tokens."""
        assert is_masked("a <NUM> b")
        assert not is_masked("a b")


_SHAPES = [
    "Order {} could not be charged",
    "Timeout after {} retries",
    "Payment for {} declined",
    "Stock of {} below zero",
]

_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)
_VALUES_BY_KIND = {
    "integer": st.integers(min_value=0, max_value=10**12).map(str),
    "amount": st.decimals(min_value=0, max_value=10**6, places=2).map(str),
    "uuid": st.uuids().map(str),
    "email": st.tuples(_NAME, _NAME).map(lambda p: f"{p[0]}@{p[1]}.com"),
    "quoted": _NAME.map(lambda n: f"'{n}'"),
    "timestamp": st.datetimes().map(lambda d: d.isoformat(timespec="milliseconds") + "Z"),
}


class TestTemplateInvariants:
    @pytest.mark.parametrize("kind", sorted(_VALUES_BY_KIND))
    def test_values_of_one_kind_share_a_template(self, kind: str) -> None:
        """Two messages that differ only in a value of the same kind share a template."""
        values = _VALUES_BY_KIND[kind]

        @given(shape=st.sampled_from(_SHAPES), first=values, second=values)
        def check(shape: str, first: str, second: str) -> None:
            assert template(shape.format(first)) == template(shape.format(second))

        check()
