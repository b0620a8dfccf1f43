"""Settings and strategies of the fuzz tests: hostile bytes and text around real runtime output.

The fuzz job is bounded, so it stays under two minutes in CI.
``LOGSHIP_FUZZ_EXAMPLES`` raises the number of examples per test for a longer
run (a nightly job, a local hunt). Every test has a deadline: a slow example is
a finding (a regex that backtracks, a quadratic loop).
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import timedelta
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "logship-fuzz",
    max_examples=int(os.environ.get("LOGSHIP_FUZZ_EXAMPLES", "150")),
    deadline=timedelta(milliseconds=1500),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
    print_blob=True,
)
FUZZ = settings.get_profile("logship-fuzz")

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"


@cache
def real_lines() -> tuple[str, ...]:
    """Every line of every captured trace fixture (real runtimes' output)."""
    lines: list[str] = []
    for path in sorted(TRACES.glob("*/*.txt")):
        lines.extend(path.read_text(encoding="utf-8", errors="replace").splitlines())
    return tuple(lines)


def _mutate(line: str, cut: int, junk: str) -> str:
    at = cut % (len(line) + 1)
    return line[:at] + junk + line[at:]


# Lines from real traces, sometimes cut or with junk spliced in, mixed with anything.
LINES = st.one_of(
    st.sampled_from(real_lines()),
    st.builds(_mutate, st.sampled_from(real_lines()), st.integers(0, 500), st.text(max_size=20)),
    st.text(max_size=200),
    st.sampled_from(
        [
            "",
            " ",
            "\t",
            "Caused by: ",
            "Traceback (most recent call last):",
            "panic: ",
            "   at ",
            "\tat ",
            "--- End of inner exception stack trace ---",
            "During handling of the above exception, another exception occurred:",
            "[CIRCULAR REFERENCE: java.lang.Exception]",
            "\t... 12 more",
            "goroutine 1 [running]:",
        ]
    ),
)
TEXTS = st.lists(LINES, max_size=60).map("\n".join)

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)


@st.composite
def payload_documents(draw: st.DrawFn) -> object:
    """CloudWatch subscription payloads with any field missing, mistyped or odd."""
    document: dict[str, object] = {
        "messageType": draw(st.sampled_from(["DATA_MESSAGE", "CONTROL_MESSAGE", "X", 3, None])),
        "owner": draw(st.sampled_from(["123456789012", "", 5])),
        "logGroup": draw(st.sampled_from(["/ecs/orders", "", None, ["x"]])),
        "logStream": draw(st.text(max_size=20)),
        "subscriptionFilters": ["f"],
        "logEvents": draw(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "id": st.text(max_size=60) | st.integers(),
                        "timestamp": st.integers() | st.text(max_size=5) | st.booleans(),
                        "message": LINES | st.integers(),
                        "extractedFields": JSON_VALUES,
                    },
                ),
                max_size=8,
            )
            | JSON_VALUES
        ),
    }
    for key in draw(st.lists(st.sampled_from(list(document)), max_size=2)):
        document.pop(key, None)
    return document


def gz_json(document: object) -> bytes:
    return gzip.compress(json.dumps(document).encode("utf-8", "surrogatepass"))
