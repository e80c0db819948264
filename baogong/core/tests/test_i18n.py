"""Every UI string is translated: each app's zh_Hans catalogue has no empty or fuzzy entry,
and its compiled .mo is current."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))


def entries(text):
    for block in text.split("\n\n"):
        m = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if not m:
            continue
        msgid = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
        strs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block + "\n", re.M)
        values = ["".join(re.findall(r'"((?:[^"\\]|\\.)*)"', s)) for s in strs]
        yield msgid, values, "#, fuzzy" in block


def test_every_app_with_strings_has_a_catalogue():
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    with_catalogue = {p.parents[3].name for p in CATALOGUES}
    assert apps <= with_catalogue


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parents[3].name)
def test_catalogue_is_complete_and_compiled(po):
    text = po.read_text(encoding="utf-8")
    missing = [msgid for msgid, values, fuzzy in entries(text) if msgid and (fuzzy or not all(values))]
    assert missing == []
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime - 1
