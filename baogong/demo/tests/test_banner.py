"""The start banner of `make run` names every demo account (it once left out `fuel`)."""

from __future__ import annotations

import re
from pathlib import Path

from baogong.demo.actions import DEMO_ACCOUNTS

MAKEFILE = Path(__file__).resolve().parents[3] / "Makefile"


def test_the_run_banner_lists_every_demo_account():
    run = MAKEFILE.read_text(encoding="utf-8").split("\nrun:", 1)[1].split("\n\n", 1)[0]
    banner = " ".join(line for line in run.splitlines() if "@echo" in line)
    named = set(re.findall(r"\b[a-z]+\b", banner))
    assert set(DEMO_ACCOUNTS) <= named, set(DEMO_ACCOUNTS) - named
