"""Tests for logship.mask: message templates."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import logship.mask
from logship.mask import DEFAULT_MASKS, MaskInstruction, is_masked, template

CORPUS = Path(__file__).parent / "corpus" / "data" / "subscription-events.jsonl.gz"


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


# Pieces of messages: every kind of value the masks take, the secrets the
# scrubber's patterns find, words the triggers look for, and non-ASCII letters
# re.IGNORECASE matches with ASCII ones (the long s, the Kelvin sign).
_PIECES = st.sampled_from(
    [
        "Order ",
        "8812",
        "-3.5",
        " 12:00:00,123",
        "2024-05-01T12:00:00.123Z",
        "2024-05-01",
        "bob@example.com",
        "3f2b8c1e-9d4a-4c1b-8e2f-0a1b2c3d4e5f",
        "deadbeef-dead-beef-dead-beefdeadbeef",
        "10.0.3.17:5432",
        "fe80:0:0:0:0:0:0:1",
        "abcd:abcd:abcd:abcd:abcd:abcd:abcd:abcd",
        "0x1f",
        "5f3a9c2e1b77",
        "'sku'",
        '"12x"',
        "`cmd`",
        "user=alice",
        "Customer: 42",
        "User alice",
        "account bob",
        "member not",
        "350ms",
        "2 s",
        "ORD9A8B7C",
        "password=hunter2",
        'token: "abc def"',
        "Bearer abcdefgh12345",
        "Authorization: Basic dXNlcjpwYXNz",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
        "postgres://app:pw@db/x",
        "-----BEGIN RSA PRIVATE KEY-----abc",
        "SKU-AB12",
        "SKU-ABC",
        "pa\u017f\u017fword=x",
        "\u212a",
        "\u0661\u0662",
        " ",
        "  ",
        "\t",
        ":",
        "=",
        ".",
    ]
)
_MESSAGES = st.lists(_PIECES | st.text(max_size=5), max_size=12).map("".join)
# A mask whose token holds a digit where its match held none, placed before the
# ID mask: that step must see the text as it is then, not as it came in.
_CUSTOM = (*DEFAULT_MASKS[:-1], MaskInstruction("ACCOUNT42", r"\bSKU-[A-Z]+\b"), DEFAULT_MASKS[-1])


def _corpus_messages() -> Iterator[str]:
    with gzip.open(CORPUS, "rt") as lines:
        for line in lines:
            data = json.loads(line)["awslogs"]["data"]
            document = json.loads(zlib.decompress(base64.b64decode(data), 16 + zlib.MAX_WBITS))
            for event in document["logEvents"]:
                yield event["message"]


def every_mask(line: str, masks: tuple[MaskInstruction, ...]) -> str:
    """The straightforward template of one line: every mask in turn, then spaces collapsed."""
    text = line
    for mask in masks:
        regex = mask.compiled()
        token = f"<{mask.name}>"
        if regex.groups >= 1:
            text = regex.sub(lambda match, token=token: match.group(1) + token, text)
        else:
            text = regex.sub(token, text)
    return " ".join(text.split())


class TestTriggersAndCache:
    @pytest.mark.slow
    @settings(max_examples=1000, deadline=None)
    @given(message=_MESSAGES, masks=st.sampled_from([DEFAULT_MASKS, _CUSTOM]))
    def test_triggers_skip_only_masks_that_cannot_match(
        self, message: str, masks: tuple[MaskInstruction, ...]
    ) -> None:
        """Skipping masks by their triggers gives the template every mask in turn gives."""
        masker = logship.mask._masker(masks)
        assert masker.masked(message) == every_mask(message, masks)

    def test_corpus_messages_give_the_same_template(self) -> None:
        """Every line of the evaluation corpus: the template every mask in turn gives."""
        lines = sorted({line for message in _corpus_messages() for line in message.split("\n")})
        assert len(lines) > 1000
        masker = logship.mask._masker(DEFAULT_MASKS)
        expected = [every_mask(line, DEFAULT_MASKS) for line in lines]
        assert [masker.masked(line) for line in lines] == expected

    def test_templates_are_cached(self) -> None:
        """A message seen again is answered from the cache of its mask list."""
        masker = logship.mask._masker(DEFAULT_MASKS)
        masker.cached.cache_clear()
        assert template("Order 8812 failed") == "Order <NUM> failed"
        assert template("Order 8812 failed") == "Order <NUM> failed"
        assert masker.cached.cache_info().hits == 1

    def test_equal_mask_lists_share_compiled_masks(self) -> None:
        """A copy of a mask list finds the same compiled masks (and template cache)."""
        copy = (*_CUSTOM[:-1], _CUSTOM[-1])
        assert copy is not _CUSTOM
        assert logship.mask._masker(copy) is logship.mask._masker(_CUSTOM)
        # The ID mask takes the ACCOUNT42 token itself: it reads the text as it is then.
        assert template("missing SKU-ABC for 7", copy) == "missing <<ID>> for <NUM>"
        assert every_mask("missing SKU-ABC for 7", copy) == "missing <<ID>> for <NUM>"
