"""Regenerate the framework fixtures: run each framework's real program, keep what it printed.

Run from anywhere: ``python tests/formats/generate.py [NAME ...]`` (default: every
framework directory that has a ``run.sh``). Each ``tests/formats/<name>/run.sh`` builds
(if needed) and runs one small program that logs through the framework at its default
(or most commonly documented) console configuration. Its stdout and stderr are read as
ONE stream (stderr is merged into stdout), the way the ECS awslogs driver reads a
container's output.

The program brackets what it logs with marker lines, written to the same stream as the
framework's output, after flushing the framework::

    @@logship@@ meta {"framework": "logback", "version": "1.2.11", "language": "java", ...}
    @@logship@@ begin {"id": "untyped-1", "error": true, "group": "untyped", ...}
    ... the framework's lines for this entry ...
    @@logship@@ end

The marker lines are removed; the rest is written byte for byte to ``output.log``, and
the brackets become ``truth.json``: for each entry the range of ``output.log`` lines it
covers (``first``, ``last``, 0-based, inclusive) and the fields of its ``begin`` marker.
A ``begin`` while an entry is open closes it first; an entry still open at the end of
the output runs to the last line (an uncaught crash printed by the runtime as it dies).
Lines outside every bracket are noise (banners, start-up lines): none may become an
error. See ``README.md`` for the fields.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MARKER = "@@logship@@"
TIMEOUT_S = 600


def split_markers(text: str, where: str) -> tuple[list[str], dict[str, Any], list[dict[str, Any]]]:
    """The output's lines without the markers, the ``meta`` fields and the entries."""
    lines: list[str] = []
    meta: dict[str, Any] = {}
    entries: list[dict[str, Any]] = []
    open_entry: dict[str, Any] | None = None

    def close() -> None:
        nonlocal open_entry
        if open_entry is not None:
            open_entry["last"] = len(lines) - 1
            if open_entry["last"] < open_entry["first"]:
                raise ValueError(f"{where}: entry {open_entry.get('id')!r} printed no line")
            entries.append(open_entry)
            open_entry = None

    for number, line in enumerate(text.split("\n"), start=1):
        start = line.find(MARKER)
        if start < 0:
            lines.append(line)
            continue
        if line[:start].strip():
            raise ValueError(f"{where}:{number}: a marker must start its own line: {line!r}")
        verb, _, rest = line[start + len(MARKER) :].strip().partition(" ")
        if verb == "meta":
            meta.update(json.loads(rest))
        elif verb == "begin":
            close()
            fields = json.loads(rest)
            if "id" not in fields or "error" not in fields:
                raise ValueError(f"{where}:{number}: a begin marker needs 'id' and 'error'")
            open_entry = {**fields, "first": len(lines)}
        elif verb == "end":
            if open_entry is None:
                raise ValueError(f"{where}:{number}: 'end' without 'begin'")
            close()
        else:
            raise ValueError(f"{where}:{number}: unknown marker {verb!r}")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    close()
    return lines, meta, entries


def generate(directory: Path) -> None:
    result = subprocess.run(
        ["bash", "run.sh"],
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=TIMEOUT_S,
        check=False,
    )
    # The checkout's path would make the fixtures depend on where the repository lives.
    text = result.stdout.decode("utf-8").replace(str(directory), "/app")
    lines, meta, entries = split_markers(text, f"{directory.name}/run.sh")
    if not entries:
        raise SystemExit(f"{directory.name}: run.sh printed no entries (exit {result.returncode})")
    (directory / "output.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    truth = {"meta": meta, "exit_code": result.returncode, "entries": entries}
    (directory / "truth.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    errors = sum(1 for entry in entries if entry["error"])
    print(f"{directory.name}: {len(lines)} lines, {len(entries)} entries, {errors} errors")


def main(names: list[str]) -> None:
    directories = (
        [HERE / name for name in names]
        if names
        else sorted(path.parent for path in HERE.glob("*/run.sh"))
    )
    for directory in directories:
        generate(directory)


if __name__ == "__main__":
    main(sys.argv[1:])
