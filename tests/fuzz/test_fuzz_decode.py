"""Fuzzing the decoders: any bytes, any JSON, any file never crash a batch.

Whatever comes in, the decoders yield only LogEvent, InputProblem and
ControlMessage items, and never raise.
"""

from __future__ import annotations

import base64
import gzip
import os
import tempfile

from fuzz_inputs import FUZZ, JSON_VALUES, TEXTS, gz_json, payload_documents
from hypothesis import given
from hypothesis import strategies as st

from logship.decode import from_lambda_event, from_path, from_payload
from logship.records import ControlMessage, InputProblem, LogEvent

ITEM_TYPES = (LogEvent, InputProblem, ControlMessage)
SMALL = 256 * 1024  # a small inflate limit, so bombs among the examples are cheap


def check(items: list[object]) -> None:
    assert all(isinstance(item, ITEM_TYPES) for item in items)
    for item in items:
        if isinstance(item, LogEvent):
            assert isinstance(item.message, str)
            assert isinstance(item.timestamp, int)
        elif isinstance(item, InputProblem):
            assert item.source
            assert item.reason


class TestFuzzPayload:
    @FUZZ
    @given(st.binary(max_size=2048))
    def test_any_bytes(self, data: bytes) -> None:
        """Random bytes as a payload: problems, never an exception."""
        check(list(from_payload(data, source="fuzz", max_inflated_bytes=SMALL)))

    @FUZZ
    @given(st.binary(max_size=2048))
    def test_gzip_of_any_bytes(self, data: bytes) -> None:
        """Valid gzip around random bytes (often invalid UTF-8 or JSON)."""
        check(list(from_payload(gzip.compress(data), source="fuzz", max_inflated_bytes=SMALL)))

    @FUZZ
    @given(payload_documents())
    def test_odd_documents(self, document: object) -> None:
        """Subscription payloads with fields missing or mistyped."""
        check(list(from_payload(gz_json(document), source="fuzz", max_inflated_bytes=SMALL)))

    @FUZZ
    @given(st.binary(min_size=1, max_size=512), st.integers(0, 600))
    def test_cut_gzip(self, data: bytes, at: int) -> None:
        """A gzip stream cut anywhere."""
        compressed = gzip.compress(data)
        check(list(from_payload(compressed[:at], source="fuzz", max_inflated_bytes=SMALL)))


class TestFuzzLambdaEvent:
    @FUZZ
    @given(JSON_VALUES)
    def test_any_json(self, event: object) -> None:
        """Any JSON value as the Lambda event."""
        check(list(from_lambda_event(event, max_inflated_bytes=SMALL)))  # type: ignore[arg-type]

    @FUZZ
    @given(
        st.sampled_from(["awslogs", "Records", "records"]),
        st.lists(
            st.one_of(
                st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()),
                st.text(max_size=40),
                payload_documents().map(lambda d: base64.b64encode(gz_json(d)).decode()),
            ),
            max_size=4,
        ),
    )
    def test_envelopes_with_odd_data(self, kind: str, datas: list[str]) -> None:
        """Subscription, Kinesis and Firehose envelopes holding odd data."""
        if kind == "awslogs":
            event: dict[str, object] = {"awslogs": {"data": datas[0] if datas else None}}
        elif kind == "Records":
            event = {
                "Records": [
                    {"kinesis": {"data": d, "sequenceNumber": str(i)}} for i, d in enumerate(datas)
                ]
            }
        else:
            event = {"records": [{"recordId": str(i), "data": d} for i, d in enumerate(datas)]}
        check(list(from_lambda_event(event, max_inflated_bytes=SMALL)))


class TestFuzzFiles:
    @FUZZ
    @given(st.one_of(st.binary(max_size=4096), TEXTS.map(lambda t: t.encode())), st.booleans())
    def test_any_file(self, data: bytes, compress: bool) -> None:
        """Any file, gzip or not, in any of the detected formats."""
        suffix = ".gz" if compress else ".log"
        with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as file:
            file.write(gzip.compress(data) if compress else data)
        try:
            check(list(from_path(file.name, max_line_bytes=4096, max_inflated_bytes=SMALL)))
        finally:
            os.unlink(file.name)
