"""The project's Python corpus: every failure, fingerprinted live inside the real program.

Each Python corpus program (``tests/corpus/programs``) runs every scenario of
its service once, under ``corpus_live.py``, which fingerprints each exception
in-process at the moment the program prints it. The program's stdout then goes
through the pipeline as one CloudWatch event per line; the typed errors it
finds must carry the live fingerprints, in the same order.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from inprocess_support import shipped_events

from logship.records import LogEvent

TESTS = Path(__file__).resolve().parents[1]
CORPUS = TESTS / "corpus"
PROGRAMS = CORPUS / "programs"
LIVE = Path(__file__).resolve().parent / "corpus_live.py"

# (service, program, the generator's table of its scenarios)
PYTHON_SERVICES = (
    ("member-service", "member_service.py", "PY_MEMBER"),
    ("shipping-service", "member_service.py", "PY_SHIPPING"),
    ("catalog-service", "catalog_service.py", "PY_CATALOG"),
)
NOISE = {"do": "info", "args": {"text": "GET /health 200 in 3ms", "n": 1, "rid": "req-1"}}


@functools.cache
def _generator() -> ModuleType:
    """tests/corpus/generate.py, for its scenario tables (it runs nothing on import)."""
    spec = importlib.util.spec_from_file_location("corpus_generate", CORPUS / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _events(service: str, stdout: str) -> list[LogEvent]:
    return [
        LogEvent(
            log_group=f"/ecs/{service}",
            log_stream=f"ecs/{service}/0a1b2c",
            event_id=f"{index:056d}",
            timestamp=1_714_557_600_000 + index,
            message=line,
        )
        for index, line in enumerate(stdout.splitlines())
    ]


class TestCorpusPrograms:
    """Live fingerprints inside the corpus programs equal the shipped ones."""

    @pytest.mark.parametrize(("service", "program", "table"), PYTHON_SERVICES)
    def test_live_equals_shipped(
        self, service: str, program: str, table: str, tmp_path: Path
    ) -> None:
        """Each scenario's exception, fingerprinted live, is the fingerprint of its log entry."""
        generate = _generator()
        scenarios = getattr(generate, table)
        data = generate.Data(random.Random(20240501))
        plan = [NOISE]
        for name, build in scenarios.items():
            plan += [{"do": name, "args": build(data)}, NOISE]
        plan_file = tmp_path / "plan.json"
        plan_file.write_text(json.dumps(plan), encoding="utf-8")
        live_file = tmp_path / "live.jsonl"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(PROGRAMS)])}
        result = subprocess.run(
            [
                sys.executable,
                str(LIVE),
                str(PROGRAMS / program),
                str(plan_file),
                str(tmp_path / "manifest.jsonl"),
                service,
                str(live_file),
            ],
            capture_output=True,
            text=True,
            cwd=PROGRAMS,
            env=env,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        live = [json.loads(line) for line in live_file.read_text(encoding="utf-8").splitlines()]
        typed = [
            list(item.fingerprint)
            for item in shipped_events(_events(service, result.stdout))
            if item.error.chain
        ]
        assert len(live) == len([name for name in scenarios if name != "untyped"])
        assert all(key[0] == service for key in live)
        assert typed == live
