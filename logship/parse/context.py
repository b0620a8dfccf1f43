"""Request context in plain-text log lines: trace id, request id, URL, method, user agent.

Only the head of a record is scanned (:data:`SCAN_CHARS`): a log prefix or an
access-log style line says what request was served, a stack trace below it
does not. Every pattern is precompiled and bounded, so a long line costs one
linear pass per pattern.
"""

from __future__ import annotations

import re

from logship.records import RequestContext

from ._lazy import LazyPattern

SCAN_CHARS = 4096

_TOKEN = r"[\w.:/+=-]"


class _Clued:
    """A pattern, and words of which every match holds one: a text holding none is skipped.

    A pattern led by a literal (``Root=``) needs no words: ``re`` finds the
    literal first, as fast as a word search.

    A search with no match still scans the whole head, several microseconds for
    the case-insensitive patterns; looking for a word is a fraction of that.
    A ``folded`` pattern is case-insensitive and its words are lower case: they
    are looked for in the lower-cased head, and only when the head is ASCII
    (``re.IGNORECASE`` also matches the Kelvin sign for "k", say).
    """

    __slots__ = ("folded", "pattern", "words")

    def __init__(self, pattern: LazyPattern, *words: str, folded: bool = False) -> None:
        self.pattern = pattern
        self.words = words
        self.folded = folded

    def search(self, head: str, lowered: str | None) -> re.Match[str] | None:
        """``pattern.search(head)``; ``lowered`` is ``head.lower()`` for an ASCII head, or None."""
        if not self.words:
            return self.pattern.search(head)
        text = head
        if self.folded:
            if lowered is None:
                return self.pattern.search(head)
            text = lowered
        for word in self.words:
            if word in text:
                return self.pattern.search(head)
        return None


_TRACEPARENT = _Clued(LazyPattern(r"\b00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}\b"), "00-")
_AMZN_TRACE = _Clued(LazyPattern(r"Root=(1-[0-9a-f]{8}-[0-9a-f]{24})\b"))
_TRACE_ID = _Clued(
    LazyPattern(
        r"\b(?:trace[_.-]?id|x-b3-traceid|dd\.trace_id)[\"']?\s*[=:]\s*[\"']?([0-9A-Za-z-]{8,64})\b",
        re.IGNORECASE,
    ),
    *("traceid", "trace_id", "trace.id", "trace-id"),
    folded=True,
)
_REQUEST_ID = _Clued(
    LazyPattern(
        rf"\b(?:x-)?(?:request[_.-]?id|req[_.-]?id)[\"']?\s*[=:]\s*[\"']?({_TOKEN}{{4,128}})",
        re.IGNORECASE,
    ),
    *(f"{key}{separator}id" for key in ("request", "req") for separator in ("", "_", ".", "-")),
    folded=True,
)
_BRACKETED_REQUEST = _Clued(LazyPattern(r"\[(req-[\w-]{2,100})\]"))
# Lambda's text format: "2024-05-01T12:00:00.000Z\t<request id>\tERROR\t...".
_LAMBDA_REQUEST = _Clued(
    LazyPattern(
        r"^\S+Z\t([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\t", re.MULTILINE
    ),
    "Z\t",
)
_METHOD_WORDS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_METHODS = "|".join(_METHOD_WORDS)
# Combined access-log format: "GET /x HTTP/1.1" 500 12 "referer" "user agent".
_ACCESS_LOG = _Clued(
    LazyPattern(
        rf"\"({_METHODS}) (\S{{1,2048}}) HTTP/[\d.]+\" \d{{3}} \S+ \"[^\"\n]*\" \"([^\"\n]*)\""
    )
)
_METHOD_URL = _Clued(
    LazyPattern(rf"\b({_METHODS})\s+(https?://[^\s\"'<>]{{1,2048}}|/[^\s\"'<>]{{0,2048}})"),
    *_METHOD_WORDS,
)
_URL = _Clued(
    LazyPattern(
        r"\b(?:url|uri|request_uri)[\"']?\s*[=:]\s*[\"']?(https?://[^\s\"'<>]{1,2048}|/[^\s\"'<>]{0,2048})",
        re.IGNORECASE,
    ),
    "url",
    "uri",
    folded=True,
)
_USER_AGENT = _Clued(
    LazyPattern(
        r"\buser[-_]?agent[\"']?\s*[=:]\s*"
        r"(?:\"([^\"\n]{1,512})\"|'([^'\n]{1,512})'|([^\n\"']{1,512}))",
        re.IGNORECASE,
    ),
    "agent",
    folded=True,
)


def find_context(text: str) -> RequestContext:
    """What the head of ``text`` says about the request being served."""
    head = text[:SCAN_CHARS]
    lowered = head.lower() if head.isascii() else None
    method, url, user_agent = "", "", ""
    access = _ACCESS_LOG.search(head, lowered)
    if access:
        method, url, user_agent = access.group(1), access.group(2), access.group(3)
    else:
        method_url = _METHOD_URL.search(head, lowered)
        if method_url:
            method, url = method_url.group(1), method_url.group(2)
        else:
            url_match = _URL.search(head, lowered)
            url = url_match.group(1) if url_match else ""
        agent = _USER_AGENT.search(head, lowered)
        if agent:
            user_agent = next(group for group in agent.groups() if group is not None).strip()
    return RequestContext(
        trace_id=_trace_id(head, lowered),
        request_id=_request_id(head, lowered),
        url=url,
        http_method=method,
        user_agent="" if user_agent == "-" else user_agent,
    )


def _trace_id(head: str, lowered: str | None) -> str:
    for pattern in (_TRACE_ID, _TRACEPARENT, _AMZN_TRACE):
        match = pattern.search(head, lowered)
        if match:
            return match.group(1)
    return ""


def _request_id(head: str, lowered: str | None) -> str:
    for pattern in (_REQUEST_ID, _BRACKETED_REQUEST, _LAMBDA_REQUEST):
        match = pattern.search(head, lowered)
        if match:
            return match.group(1).rstrip(".,:;")
    return ""
