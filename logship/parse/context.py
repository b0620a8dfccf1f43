"""Request context in plain-text log lines: trace id, request id, URL, method, user agent.

Only the head of a record is scanned (:data:`SCAN_CHARS`): a log prefix or an
access-log style line says what request was served, a stack trace below it
does not. Every pattern is precompiled and bounded, so a long line costs one
linear pass per pattern.
"""

from __future__ import annotations

import re

from logship.records import RequestContext

SCAN_CHARS = 4096

_TOKEN = r"[\w.:/+=-]"
_TRACEPARENT = re.compile(r"\b00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}\b")
_AMZN_TRACE = re.compile(r"Root=(1-[0-9a-f]{8}-[0-9a-f]{24})\b")
_TRACE_ID = re.compile(
    r"\b(?:trace[_.-]?id|x-b3-traceid|dd\.trace_id)[\"']?\s*[=:]\s*[\"']?([0-9A-Za-z-]{8,64})\b",
    re.IGNORECASE,
)
_REQUEST_ID = re.compile(
    rf"\b(?:x-)?(?:request[_.-]?id|req[_.-]?id)[\"']?\s*[=:]\s*[\"']?({_TOKEN}{{4,128}})",
    re.IGNORECASE,
)
_BRACKETED_REQUEST = re.compile(r"\[(req-[\w-]{2,100})\]")
# Lambda's text format: "2024-05-01T12:00:00.000Z\t<request id>\tERROR\t...".
_LAMBDA_REQUEST = re.compile(
    r"^\S+Z\t([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\t", re.MULTILINE
)
_METHODS = r"GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS"
# Combined access-log format: "GET /x HTTP/1.1" 500 12 "referer" "user agent".
_ACCESS_LOG = re.compile(
    rf"\"({_METHODS}) (\S{{1,2048}}) HTTP/[\d.]+\" \d{{3}} \S+ \"[^\"\n]*\" \"([^\"\n]*)\""
)
_METHOD_URL = re.compile(rf"\b({_METHODS})\s+(https?://[^\s\"'<>]{{1,2048}}|/[^\s\"'<>]{{0,2048}})")
_URL = re.compile(
    r"\b(?:url|uri|request_uri)[\"']?\s*[=:]\s*[\"']?(https?://[^\s\"'<>]{1,2048}|/[^\s\"'<>]{0,2048})",
    re.IGNORECASE,
)
_USER_AGENT = re.compile(
    r"\buser[-_]?agent[\"']?\s*[=:]\s*"
    r"(?:\"([^\"\n]{1,512})\"|'([^'\n]{1,512})'|([^\n\"']{1,512}))",
    re.IGNORECASE,
)


def find_context(text: str) -> RequestContext:
    """What the head of ``text`` says about the request being served."""
    head = text[:SCAN_CHARS]
    method, url, user_agent = "", "", ""
    access = _ACCESS_LOG.search(head)
    if access:
        method, url, user_agent = access.group(1), access.group(2), access.group(3)
    else:
        method_url = _METHOD_URL.search(head)
        if method_url:
            method, url = method_url.group(1), method_url.group(2)
        else:
            url_match = _URL.search(head)
            url = url_match.group(1) if url_match else ""
        agent = _USER_AGENT.search(head)
        if agent:
            user_agent = next(group for group in agent.groups() if group is not None).strip()
    return RequestContext(
        trace_id=_trace_id(head),
        request_id=_request_id(head),
        url=url,
        http_method=method,
        user_agent="" if user_agent == "-" else user_agent,
    )


def _trace_id(head: str) -> str:
    for pattern in (_TRACE_ID, _TRACEPARENT, _AMZN_TRACE):
        match = pattern.search(head)
        if match:
            return match.group(1)
    return ""


def _request_id(head: str) -> str:
    for pattern in (_REQUEST_ID, _BRACKETED_REQUEST, _LAMBDA_REQUEST):
        match = pattern.search(head)
        if match:
            return match.group(1).rstrip(".,:;")
    return ""
