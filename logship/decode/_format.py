"""Which format an input is, found by peeking, never from its name alone.

The first 64 KiB of the (inflated) stream decide:

- a JSON object spanning several lines: a JSON document, read incrementally
  (a ``filter-log-events`` dump, a saved Lambda/Kinesis/Firehose event or an
  inflated subscription payload; see :mod:`._documents`);
- a first line that is a whole JSON object: JSON lines. A line holding an AWS
  shape is decoded as such; any other object is a structured application log
  line (one line, one event);
- ``2024-05-01T12:00:00.000Z message`` lines: a CloudWatch export to S3;
- anything else: plain text, one line per event.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import ExitStack
from enum import StrEnum
from typing import Any

from ._documents import STREAMED
from ._opened import Opened, open_raw

# `aws logs create-export-task` writes "<ISO 8601 time> <message>" per event.
EXPORT_LINE = re.compile(rb"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z) ")
AWS_KEYS = re.compile(r'"(awslogs|Records|records|messageType|events)"\s*:')
DOCUMENT_KINDS = {
    "awslogs": "lambda-event",
    "Records": "kinesis-event",
    "records": "firehose-event",
    "messageType": "subscription-payload",
    "events": "filter-log-events",
}


class Format(StrEnum):
    """How a file is read."""

    JSON_DOCUMENT = "json-document"
    AWS_JSON_LINES = "aws-json-lines"  # JSON lines of Lambda events or payloads
    JSON_LINES = "json-lines"  # structured application logs
    S3_EXPORT = "s3-export"
    TEXT = "text"


def classify(head: bytes, *, at_end: bool) -> Format:
    """The format of an input from its first (inflated) bytes."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text:
        return Format.TEXT
    if text[0] == "{":
        first, newline, _ = text.partition("\n")
        if not newline and not at_end:
            # The first line is longer than the head: one big JSON value
            # (a compact dump) or JSON lines of long structured lines.
            return Format.JSON_DOCUMENT if AWS_KEYS.search(text) else Format.JSON_LINES
        value = json_object(first)
        if value is not None:
            return Format.AWS_JSON_LINES if aws_kind(value) else Format.JSON_LINES
        # Not a whole object on the first line: an object spread over lines
        # (pretty-printed, as the AWS CLI and jq write it), unless it is just a
        # broken first line of JSON lines.
        if (
            first.strip() == "{"
            or AWS_KEYS.search(first)
            or (at_end and json_object(text) is not None)
        ):
            return Format.JSON_DOCUMENT
        return Format.JSON_LINES
    if EXPORT_LINE.match(text.encode("utf-8")):
        return Format.S3_EXPORT
    return Format.TEXT


def json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:  # JSONDecodeError, or a number too long to convert
        return None
    return value if isinstance(value, dict) else None


def aws_kind(value: dict[str, Any]) -> str:
    """Which AWS shape a decoded JSON object is, or "" for an application log line."""
    for key, kind in DOCUMENT_KINDS.items():
        if key in value and (key not in STREAMED or isinstance(value[key], list)):
            return kind
    if "logStreamName" in value and "message" in value and "timestamp" in value:
        return "cloudwatch-event"  # one entry of a dump, as `jq -c '.events[]'` writes
    return ""


def detect_format(path: str | os.PathLike[str]) -> str:
    """Name the format :func:`from_path` would read ``path`` as.

    One of ``filter-log-events``, ``lambda-event``, ``kinesis-event``,
    ``firehose-event``, ``subscription-payload``, ``json-document`` (none of
    those keys seen in the first 64 KiB), ``aws-json-lines``, ``json-lines``,
    ``s3-export`` or ``text``; ``.gz`` is appended for a gzip file. For a JSON
    document the name comes from the first known key in the first 64 KiB.
    Reading stdin ("-") consumes what it peeks.
    """
    with ExitStack() as stack:
        opened = Opened(open_raw(path, stack))
        opened.peek()
        found = classify(opened.head, at_end=opened.at_end)
        name = str(found)
        if found is Format.JSON_DOCUMENT:
            match = AWS_KEYS.search(opened.head.decode("utf-8", errors="replace"))
            name = DOCUMENT_KINDS[match.group(1)] if match else name
        return name + (".gz" if opened.compressed else "")
