"""Lint and types are part of the suite: ruff everywhere, mypy (strict on domain/, ledger/)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff not installed")
def test_ruff() -> None:
    r = subprocess.run(["ruff", "check", "src", "tests", "bench", "examples"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy() -> None:
    pytest.importorskip("mypy")
    r = subprocess.run([sys.executable, "-m", "mypy", "src/gongji"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


PYDANTIC_ALLOWED = {"policy.py", "benefits.py"}
"""Policy documents are validated by pydantic, used there as a validation library only."""


def test_domain_imports_nothing_outside_domain() -> None:
    """domain/ is pure: no framework, no storage, nothing of the project outside domain/."""
    banned = ("sqlalchemy", "fastapi", "pydantic", "starlette", "typer", "rich", "jinja2",
              "httpx", "argon2", "yaml", "gongji.store", "gongji.ledger", "gongji.services",
              "gongji.api", "gongji.cli")
    for path in (ROOT / "src/gongji/domain").glob("*.py"):
        for line in path.read_text().splitlines():
            s = line.strip()
            if s.startswith(("import ", "from ")):
                module = s.split()[1]
                if path.name in PYDANTIC_ALLOWED and module.startswith("pydantic"):
                    continue
                assert not any(module.startswith(b) for b in banned), f"{path.name}: {s}"
