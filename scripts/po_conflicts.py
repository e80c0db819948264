"""List the English msgids that the apps' zh_Hans catalogues translate differently.

Django merges every app's catalogue into one: for a msgid found in several, the first app in
INSTALLED_APPS wins, so a word translated two ways shows the other app's word ("Rejected" as
已驳回 on a lot that failed inspection). Where the meaning differs, give the string a context
(``pgettext``, ``{% translate "…" context "…" %}``); where it is the same word, make the
catalogues agree. ``baogong/core/tests/test_i18n.py`` fails on any such msgid.

Usage: python scripts/po_conflicts.py   (exit 1 and one block per msgid when any differ)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "baogong"
_STRING = r'"((?:[^"\\]|\\.)*)"'


def _joined(block: str) -> str:
    return "".join(re.findall(_STRING, block))


def translations(root: Path = ROOT) -> dict[tuple[str | None, str], dict[str, list[str]]]:
    """(context, msgid) → translation → the apps whose catalogue gives it."""
    found: dict[tuple[str | None, str], dict[str, list[str]]] = {}
    for po in sorted(root.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")):
        app = po.parents[3].name
        for block in po.read_text(encoding="utf-8").split("\n\n"):
            msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
            if not msgid or not _joined(msgid.group(1)):
                continue
            context = re.search(r'^msgctxt ((?:".*"\n?)+)', block, re.M)
            msgstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', block + "\n", re.M)
            value = _joined(msgstr.group(1)) if msgstr else ""
            key = (_joined(context.group(1)) if context else None, _joined(msgid.group(1)))
            found.setdefault(key, {}).setdefault(value, []).append(app)
    return found


def conflicts(root: Path = ROOT) -> dict[tuple[str | None, str], dict[str, list[str]]]:
    return {key: values for key, values in translations(root).items() if len(values) > 1}


def main() -> int:
    found = conflicts()
    for (context, msgid), values in sorted(found.items(), key=lambda kv: (kv[0][1], kv[0][0] or "")):
        print(repr(msgid) + (f"  (context {context!r})" if context else ""))
        for value, apps in values.items():
            print(f"    {value}\t{', '.join(apps)}")
    print(f"{len(found)} msgids translated differently", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
