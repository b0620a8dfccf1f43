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

from typing import TYPE_CHECKING

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
    from ._files import DEFAULT_MAX_LINE, from_path
    from ._format import Format, classify, detect_format


# The file readers serve the CLI only: the Lambda decodes payloads. Importing them
# (with the JSON document and stream parsers behind them) adds about 5 ms to the
# Lambda's cold start (docs/performance.md, "Issue 14: lazy imports"), so their names
# are imported on first use (PEP 562), here and nowhere else in the package.
def __getattr__(name: str) -> object:
    """The file readers' names, imported when first asked for."""
    if name in ("DEFAULT_MAX_LINE", "from_path"):
        from . import _files

        return getattr(_files, name)
    if name in ("Format", "classify", "detect_format"):
        from . import _format

        return getattr(_format, name)
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
