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


def test_our_words_win_over_djangos_own_catalogues(settings):
    """Django's admin and auth catalogues come before the apps' ones; where they translate a word
    of our UI otherwise, the project-wide override (LOCALE_PATHS) must give ours."""
    import django
    from django.utils import translation

    ours: dict[str, set[str]] = {}
    for po in CATALOGUES:
        plain = "\n\n".join(b for b in po.read_text(encoding="utf-8").split("\n\n") if "msgctxt" not in b)
        for msgid, values, _fuzzy in entries(plain):
            if msgid and values and values[0]:
                ours.setdefault(msgid, set()).add(values[0])
    theirs: dict[str, str] = {}
    django_root = Path(django.__file__).parent
    for app in settings.INSTALLED_APPS:
        if not app.startswith("django.contrib."):
            continue
        po = django_root / "contrib" / app.rsplit(".", 1)[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
        if po.exists():
            for msgid, values, _fuzzy in entries(po.read_text(encoding="utf-8")):
                if msgid and values and values[0]:
                    theirs.setdefault(msgid, values[0])
    clashing = {m for m in ours if m in theirs and theirs[m] not in ours[m]}
    assert "Filter" in clashing  # the case that showed 过滤器 on the stock page
    with translation.override("zh-hans"):
        shadowed = {m: translation.gettext(m) for m in clashing if translation.gettext(m) not in ours[m]}
    assert shadowed == {}


def _translations():
    """(context, msgid) → translation → apps, over every app's catalogue (scripts/po_conflicts.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("po_conflicts", ROOT.parent / "scripts" / "po_conflicts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.translations(ROOT)


def test_one_msgid_has_one_translation_across_the_apps():
    """Django merges the apps' catalogues and the first app in INSTALLED_APPS wins, so a msgid
    translated two ways shows one app's word on another app's page. Different meanings take a
    context (pgettext, ``{% translate … context … %}``); the same word reads the same everywhere."""
    found = _translations()
    assert len(found[(None, "Approve")]["批准"]) >= 3 and ("lot status", "Rejected") in found  # it reads the files
    differing = {key: sorted(values) for key, values in found.items() if len(values) > 1}
    assert differing == {}


def test_words_with_two_meanings_show_their_own_translation():
    from django.utils import translation

    from baogong.inventory.choices import AdjustmentStatus, QcStatus
    from baogong.people.choices import Shift
    from baogong.property.choices import ApplicationStatus

    with translation.override("zh-hans"):
        assert str(QcStatus.REJECTED.label) == "不合格"  # a lot that failed inspection
        assert str(AdjustmentStatus.REJECTED.label) == "已驳回"  # an adjustment the approver refused
        assert str(ApplicationStatus.REJECTED.label) == "不予批准"
        assert translation.gettext("Rejected") == "已驳回"
        assert str(Shift.DAY.label) == "白班"
        assert translation.gettext("Day") == "日期"


def _python_msgids() -> set[tuple[str, str]]:
    """(context, msgid) of every string marked for translation in our Python code (tests and
    migrations aside), as xgettext reads them — the same keywords makemessages uses."""
    import shutil
    import subprocess

    xgettext = shutil.which("xgettext")
    if xgettext is None:
        pytest.fail("xgettext is missing: install gettext (.ci/run does)")
    files = sorted(str(p) for p in ROOT.rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts)
    keywords = ["_", "gettext", "gettext_lazy", "gettext_noop", "pgettext:1c,2", "pgettext_lazy:1c,2"]
    out = subprocess.run(
        [xgettext, "--language=Python", "--from-code=UTF-8", "--no-location", "-o", "-", "-f", "-"]
        + [f"--keyword={k}" for k in keywords],
        input="\n".join(files),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = set()
    for block in out.split("\n\n"):
        m = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if not m:
            continue
        msgid = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
        c = re.search(r'^msgctxt ((?:".*"\n?)+)', block, re.M)
        context = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', c.group(1))) if c else ""
        if msgid:
            found.add((context, msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")))
    return found


def test_every_string_of_our_code_reads_in_chinese():
    """A string marked in the code but never added to a catalogue shows in English on a Chinese
    page (an API refusal did: "At most 20000 lines in one request…"). Each one must come out of
    the merged catalogues translated, or be Chinese already."""
    from django.utils import translation

    untranslated = []
    with translation.override("zh-hans"):
        for context, msgid in sorted(_python_msgids()):
            text = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
            if text == msgid and re.search(r"[a-z]{3,}", msgid) and not re.search(r"[\u4e00-\u9fff]", msgid):
                untranslated.append(f"{context}|{msgid}" if context else msgid)
    assert untranslated == []
