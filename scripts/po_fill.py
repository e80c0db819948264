"""Fill msgstr entries of a .po file from a TSV on stdin: ``msgid<TAB>msgstr`` per line.

Usage: python scripts/po_fill.py baogong/APP/locale/zh_Hans/LC_MESSAGES/django.po < pairs.tsv
Plural entries take ``msgid<TAB>msgstr`` for the singular; the same text fills every form
(Chinese has one plural form). Fuzzy flags on filled entries are removed. Prints what is still
untranslated.
"""

from __future__ import annotations

import re
import sys


def unquote(block: str) -> str:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', block)
    return "".join(parts).encode("latin-1", "backslashreplace").decode("unicode_escape")


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> None:
    path = sys.argv[1]
    pairs = {}
    for line in sys.stdin.read().splitlines():
        if "\t" in line:
            key, value = line.split("\t", 1)
            pairs[key] = value
    text = open(path, encoding="utf-8").read()
    entries = text.split("\n\n")
    missing = []
    out = []
    for entry in entries:
        m = re.search(r'^msgid ((?:".*"\n?)+)', entry, re.M)
        if not m:
            out.append(entry)
            continue
        msgid = unquote(m.group(1))
        if msgid == "":
            out.append(entry)
            continue
        if msgid in pairs:
            value = pairs[msgid]
            entry = re.sub(
                r'^msgstr ((?:".*"\n?)+)', lambda _m: "msgstr " + quote(value) + "\n", entry + "\n", flags=re.M
            ).rstrip("\n")
            entry = re.sub(
                r'^msgstr\[(\d)\] ((?:".*"\n?)+)',
                lambda mm: f"msgstr[{mm.group(1)}] " + quote(value) + "\n",
                entry + "\n",
                flags=re.M,
            ).rstrip("\n")
            entry = re.sub(r"^#, fuzzy(, )?", lambda mm: "#, " if mm.group(1) else "", entry, flags=re.M)
            entry = re.sub(r"^#, \n", "", entry + "\n", flags=re.M).rstrip("\n")
        else:
            s = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', entry + "\n", re.M)
            if s and unquote(s.group(1)) == "":
                missing.append(msgid)
        out.append(entry)
    open(path, "w", encoding="utf-8").write("\n\n".join(out))
    for msgid in missing:
        print("untranslated:", msgid)


if __name__ == "__main__":
    main()
