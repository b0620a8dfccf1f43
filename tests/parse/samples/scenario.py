"""Shared scenario: call with log functions."""
import sys
from common import marker, charge, parse_amount

def run(name, info, warn, error, exception, logger, version):
    marker("meta", framework=name, version=version, language="python")
    marker("begin", id="info-1", error=False, group=None, types=[], logger=logger, level_marks_error=True)
    info("started order 1")
    marker("begin", id="warn-1", error=False, group=None, types=[], logger=logger, level_marks_error=True)
    warn("slow order 2 took 30 ms")
    for i, (o, u) in enumerate([(8812, "alice"), (91, "bob")]):
        marker("begin", id=f"untyped-{i}", error=True, group="untyped", types=[], logger=logger, level_marks_error=True)
        error(f"payment declined for order {o} user {u}")
    for i, o in enumerate([17, 4242]):
        marker("begin", id=f"timeout-{i}", error=True, group="trace-timeout", types=["RuntimeError", "TimeoutError"], logger=logger, level_marks_error=True)
        try: charge(o)
        except RuntimeError: exception(f"charge {o} failed")
    marker("begin", id="number-0", error=True, group="trace-number", types=["RuntimeError", "ValueError"], logger=logger, level_marks_error=True)
    try: parse_amount(5, "12x")
    except RuntimeError: exception("charge 5 failed")
    marker("begin", id="info-2", error=False, group=None, types=[], logger=logger, level_marks_error=True)
    info("done")
    marker("end")
