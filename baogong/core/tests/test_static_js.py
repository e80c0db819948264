"""Every script of ours parses: a merge that cuts a function in half breaks every page at once (the
browser tests say so half an hour later; this says so in a second). Checked with Node.js, which
the CI machine has; vendored libraries are left to their authors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p for p in ROOT.glob("*/static/**/*.js") if "vendor" not in p.parts)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_script_parses(script: Path) -> None:
    done = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_there_are_scripts_to_check() -> None:
    assert len(SCRIPTS) >= 8
