"""Shared plumbing of the Python corpus programs: the plan, the manifest, the sockets.

A program reads a plan (a JSON list of steps) and writes, next to its normal
log output on stdout, a manifest: one JSON line per log entry it wrote, with
the number of lines the entry took, whether it is an error and its scenario.
The manifest is a side channel: the log text carries no markers.
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable
from typing import Any, TextIO

Step = dict[str, Any]


class Manifest:
    """One JSON line per log entry written to stdout."""

    def __init__(self, path: str) -> None:
        self._file: TextIO = open(path, "w", encoding="utf-8")  # noqa: SIM115

    def entry(self, text: str, *, error: bool, label: str | None) -> None:
        lines = text.count("\n") + 1
        self._file.write(json.dumps({"lines": lines, "error": error, "label": label}) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def blackhole() -> tuple[socket.socket, int]:
    """A listener on 127.0.0.1 that accepts connections (backlog) and never answers."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    return server, server.getsockname()[1]


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on: connecting to it is refused."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


def run(
    argv: list[str], handlers: dict[str, Callable[[dict[str, Any]], None]], out: TextIO
) -> None:
    """Run the plan file ``argv[1]``: each step calls ``handlers[step["do"]](step["args"])``."""
    with open(argv[1], encoding="utf-8") as plan_file:
        plan: list[Step] = json.load(plan_file)
    for step in plan:
        handlers[step["do"]](step.get("args", {}))
    out.flush()


if __name__ == "__main__":
    sys.exit("a support module, not a program")
