"""History in people's language: every audited verb has a label; values read as words."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation

from baogong.core import audit
from baogong.core.audit import SystemActor
from baogong.core.history import VERBS, describe, show
from baogong.core.models import AuditEvent
from baogong.orgs import actions as org_actions
from baogong.orgs.models import Site

ROOT = Path(__file__).resolve().parents[2]


def verbs_in_code() -> set[str]:
    """Every verb written as a string where an audit event is recorded or a verb is passed on."""
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if "/tests/" in str(path) or "/migrations/" in str(path):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record":
                if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    found.add(node.args[0].value)
            if isinstance(node, ast.keyword) and node.arg == "verb" and isinstance(node.value, ast.Constant):
                found.add(str(node.value.value))
    return found


def test_every_verb_in_the_code_has_a_label():
    assert sorted(verbs_in_code() - set(VERBS)) == []


def test_every_label_is_translated():
    with translation.override("zh-hans"):
        untranslated = [verb for verb, label in VERBS.items() if str(label).isascii()]
    assert untranslated == []


@pytest.mark.django_db
def test_an_event_reads_as_a_sentence_with_labels_not_values(base, user):
    site = Site.objects.get(code="WH-TXQ")
    org_actions.set_site_status(site, "under_control", reason="员工阳性", actor=user("commander"))
    event = AuditEvent.objects.filter(verb="set_site_status").latest("at")
    with translation.override("zh-hans"):
        row = describe(event)
        assert row.action == "变更了场所状态"
        labels = {c.label: (c.before, c.after) for c in row.changes}
        assert labels["状态"] == ("正常", "管控")
        assert "员工阳性" in row.sentence and "under_control" not in row.sentence
        assert "{'" not in row.sentence and "None" not in row.sentence


@pytest.mark.django_db
def test_python_values_never_show(base):
    with translation.override("zh-hans"):
        assert (show(True), show(False), show(None), show(""), show([])) == ("是", "否", "（空）", "（空）", "（空）")
        assert show({"qty": 3}) == "数量 3"
        assert show("2022-04-10T14:00:00+08:00") == "2022-04-10 14:00"


@pytest.mark.django_db
def test_an_unlabelled_verb_still_reads_in_chinese(base):
    event = audit.record("some_new_verb", None, actor=SystemActor("系统"), after={"flag": True})
    with translation.override("zh-hans"):
        row = describe(event)
    assert (row.action, row.changes[0].label, row.changes[0].after) == ("修改了", "详情", "是")


@pytest.mark.django_db
def test_history_and_audit_pages_show_sentences(base, client_for, user):
    site = Site.objects.get(code="WH-TXQ")
    org_actions.set_site_status(site, "under_control", reason="员工阳性", actor=user("commander"))
    page = client_for("commander").get("/audit/").content.decode()
    assert "变更了场所状态" in page and "set_site_status" not in page.split("<select")[0]
    assert "{&#x27;" not in page and "{'" not in page


@pytest.mark.django_db
def test_records_named_by_code_and_nested_lines_read_as_names(base):
    from baogong.distribution.models import Shipment

    with translation.override("zh-hans"):
        warehouse = Shipment._meta.get_field("warehouse")
        assert show("WH-TXQ", warehouse) == "泰兴桥大仓"
        assert show({"item": "N95", "qty": 20}) == "物资 N95，数量 20"
        assert "详情" not in show({"odd_key": 3})
