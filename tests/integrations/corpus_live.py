"""Run a Python corpus program and note, for each exception it prints, its live fingerprint.

Usage: corpus_live.py PROGRAM PLAN MANIFEST SERVICE LIVE_OUT

The program runs unchanged (as ``__main__``, with its own argv); every
traceback it prints goes through ``traceback.print_exception`` (``logging``,
structlog's ``format_exc_info``) or ``traceback.format_exception``
(``traceback.format_exc``). Both are wrapped here: before printing, the live
exception is fingerprinted with :func:`logship.fingerprint_exception` and its
fingerprint appended to LIVE_OUT as one JSON line, in print order.
"""

from __future__ import annotations

import json
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any

from logship.inprocess import fingerprint_exception

program, plan, manifest, service, live_out = sys.argv[1:6]
sink = open(live_out, "w", encoding="utf-8")  # noqa: SIM115 - open for the program's lifetime
_state = {"busy": False}  # fingerprint_exception formats the exception too: skip that one


def _note(value: object) -> None:
    if _state["busy"] or not isinstance(value, BaseException):
        return
    _state["busy"] = True
    try:
        sink.write(json.dumps(fingerprint_exception(value, service=service)) + "\n")
        sink.flush()
    finally:
        _state["busy"] = False


def _wrap(original: Any) -> Any:
    """``original`` (print/format_exception), noting the exception it is given first."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # (type, value, tb) as logging and structlog call it, or (exception,) as format_exc does.
        value = args[1] if len(args) > 1 and isinstance(args[1], BaseException) else args[0]
        _note(value)
        return original(*args, **kwargs)

    return wrapper


traceback.print_exception = _wrap(traceback.print_exception)
traceback.format_exception = _wrap(traceback.format_exception)

sys.argv = [program, plan, manifest, service]
sys.path.insert(0, str(Path(program).parent))
runpy.run_path(program, run_name="__main__")
sink.close()
