"""THIRD-PARTY.md lists every vendored browser asset with its checksum, and each folder keeps its
licence: an asset added, upgraded or edited without updating the list fails here."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
VENDOR = ROOT / "baogong" / "core" / "static" / "vendor"


def listed() -> dict[str, str]:
    text = (ROOT / "THIRD-PARTY.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", text, re.M))


def test_every_vendored_file_is_listed_with_its_checksum():
    files = {
        str(p.relative_to(VENDOR)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in VENDOR.rglob("*")
        if p.is_file() and p.name != "LICENSE"
    }
    assert files == listed()


def test_every_vendored_folder_keeps_its_licence():
    for folder in VENDOR.iterdir():
        assert (folder / "LICENSE").read_text(encoding="utf-8").strip(), folder.name


def test_the_project_licence_is_the_agpl():
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
    assert 'license = "AGPL-3.0-or-later"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
