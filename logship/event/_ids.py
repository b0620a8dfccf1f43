"""Ids and links of an event: its event id, platform, trace id and CloudWatch console link."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from urllib.parse import quote_plus

from logship._cache import BoundedCache
from logship.records import ParsedError
from logship.truncate import clean

__all__ = [
    "CONSOLE_WINDOW_MS",
    "EVENT_ID_NAMESPACE",
    "PLATFORMS",
    "console_url",
    "event_id",
    "parse_trace_id",
    "platform_for",
]

# Never change it: event ids derived under another namespace would make every
# redelivered batch after a deploy a second event.
EVENT_ID_NAMESPACE = uuid.UUID("e8aea230-07b8-492f-a050-8d9cb4294a60")
_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes

# logship's language names (``Trace.language``) to Sentry platform names.
PLATFORMS: Mapping[str, str] = {
    "java": "java",
    "kotlin": "java",
    "scala": "java",
    "python": "python",
    "node": "node",
    "javascript": "node",
    "go": "go",
    "dotnet": "csharp",
    "csharp": "csharp",
    "ruby": "ruby",
    "php": "php",
    "dart": "dart",
}

CONSOLE_WINDOW_MS = 60_000  # the deep link shows a minute either side of the error
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX16 = re.compile(r"[0-9a-f]{16}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")
_XRAY_ROOT = re.compile(r"1-([0-9a-f]{8})-([0-9a-f]{24})")

# Console link prefixes of a stream: its errors come back one after another.
_MEMO_CHARS = 256  # results for longer inputs are not remembered
_CONSOLE_PREFIXES: BoundedCache[tuple[str, str, str], str] = BoundedCache(4096)


def event_id(error: ParsedError) -> str:
    """A UUID (32 hex digits, as Sentry wants) derived from where the error was logged.

    (log group, log stream, first event id) names one CloudWatch event; a
    redelivered batch gives the same ids, and Sentry keeps the first event of
    an id. Without event ids the time and the text stand in.
    """
    record = error.record
    parts = [record.log_group, record.log_stream, record.event_ids[0] if record.event_ids else ""]
    if not record.event_ids:
        parts += [str(record.timestamp), record.text]
    name = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    # uuid.uuid5 itself, but over bytes: a lone surrogate must not crash it.
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    # What uuid.UUID(bytes=..., version=5) sets: the version nibble and the RFC 4122 variant.
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return digest.hex()


def platform_for(language: str) -> str:
    """Sentry's platform for a logship language name; ``other`` when unknown."""
    return PLATFORMS.get(language.lower(), "other")


def console_url(region: str, log_group: str, log_stream: str, timestamp_ms: int) -> str:
    """The CloudWatch console page of ``log_stream`` a minute either side of ``timestamp_ms``.

    The console's fragment router wants each path part URI-encoded twice and
    the query separators encoded once, then every "%" written as "$":
    ``/aws/lambda/x`` becomes ``$252Faws$252Flambda$252Fx`` and ``?start=`` becomes
    ``$3Fstart$3D``. Returns "" when the region is not a region name.
    """
    key = (region, log_group, log_stream)
    prefix = _CONSOLE_PREFIXES.get(key)
    if prefix is None:
        prefix = _console_prefix(*key)
        if len(log_group) + len(log_stream) <= _MEMO_CHARS:
            _CONSOLE_PREFIXES.put(key, prefix)
    if not prefix:
        return ""
    start, end = timestamp_ms - CONSOLE_WINDOW_MS, timestamp_ms + CONSOLE_WINDOW_MS
    return f"{prefix}$3Fstart$3D{start}$26end$3D{end}"


def _console_prefix(region: str, log_group: str, log_stream: str) -> str:
    """:func:`console_url` up to the time window, "" when the region is not a region name."""
    if not _REGION.fullmatch(region):
        return ""
    if region.startswith("cn-"):
        host = "console.amazonaws.cn"
    elif region.startswith("us-gov-"):
        host = "console.amazonaws-us-gov.com"
    else:
        host = f"{region}.console.aws.amazon.com"
    return (
        f"https://{host}/cloudwatch/home?region={region}"
        f"#logsV2:log-groups/log-group/{_console_escape(log_group)}"
        f"/log-events/{_console_escape(log_stream)}"
    )


def _console_escape(text: str) -> str:
    return quote_plus(quote_plus(clean(text))).replace("%", "$")


def parse_trace_id(value: str) -> tuple[str, str] | None:
    """(trace id, span id or "") in Sentry's form, or None when ``value`` is no trace id.

    Accepts 32 hex digits, a UUID, a W3C ``traceparent`` and an AWS X-Ray id
    (``1-5759e988-bd862e3fe1be46a994272793``, bare or as
    ``Root=...;Parent=...``); X-Ray's two hex parts make the 32 digits, as
    OpenTelemetry's X-Ray propagator does.
    """
    text = value.strip().lower()
    trace, span = "", ""
    if match := _TRACEPARENT.fullmatch(text):
        trace, span = match[1], match[2]
    elif match := _XRAY_ROOT.fullmatch(text):
        trace = match[1] + match[2]
    elif "root=" in text:
        fields = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
        root = _XRAY_ROOT.fullmatch(fields.get("root", "").strip())
        if root:
            trace = root[1] + root[2]
            parent = fields.get("parent", "").strip()
            span = parent if _HEX16.fullmatch(parent) else ""
    elif _HEX32.fullmatch(text) or _UUID.fullmatch(text):
        trace = text.replace("-", "")
    if not trace or not trace.strip("0"):
        return None  # all zeros is W3C's "no trace"
    return trace, span if span.strip("0") else ""
