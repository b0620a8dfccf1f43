"""Decode stage: every input becomes a stream of ``LogEvent | InputProblem | ControlMessage``.

- :func:`from_lambda_event`: what the Lambda receives, a CloudWatch Logs
  subscription event, a Kinesis event or a Firehose transformation event;
- :func:`from_payload`: one subscription payload (gzip JSON);
- :func:`from_path`: a file or stdin, gzip or not, format detected by peeking:
  ``aws logs filter-log-events`` dumps (streamed), saved Lambda events and
  payloads, CloudWatch exports to S3, JSON lines, plain text.

Decoders never raise on bad input: each bad piece becomes an
:class:`~logship.records.InputProblem` naming the input and the position, and
the good events around it still come out. Memory is bounded by one payload
(``max_inflated_bytes``) or one line (``max_line_bytes``), never by the input.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._lambda_event import from_lambda_event, lambda_event
from ._payload import (
    DEFAULT_MAX_INFLATED,
    Item,
    encode_payload,
    from_message,
    from_payload,
    inflate,
)

if TYPE_CHECKING:
    from ._files import DEFAULT_MAX_LINE, Format, classify, detect_format, from_path

# The file readers (and the document and JSON-stream parsers behind them) serve
# the CLI only: the Lambda decodes payloads, so they load on first use, which
# keeps about 15 ms out of its cold start.
_FILE_NAMES = frozenset({"DEFAULT_MAX_LINE", "Format", "classify", "detect_format", "from_path"})


def __getattr__(name: str) -> Any:
    """The file readers' names, imported from ``._files`` when first asked for."""
    if name in _FILE_NAMES:
        value = getattr(importlib.import_module("._files", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_MAX_INFLATED",
    "DEFAULT_MAX_LINE",
    "Format",
    "Item",
    "classify",
    "detect_format",
    "encode_payload",
    "from_lambda_event",
    "from_message",
    "from_path",
    "from_payload",
    "inflate",
    "lambda_event",
]
