from decimal import Decimal

import pytest
from django.db import transaction

from baogong.core.errors import ValidationFailed
from baogong.core.models import AuditEvent
from baogong.core.tests.xlsx import xlsx_file
from baogong.orgs import actions
from baogong.orgs.models import Organisation, Site


def test_set_site_status_records_before_and_after(user):
    commander = user("commander")
    warehouse = Site.objects.get(code="WH-TXQ")
    actions.set_site_status(warehouse, "under_control", reason="仓库员工抗原阳性", actor=commander)
    warehouse.refresh_from_db()
    assert warehouse.status == "under_control"
    event = AuditEvent.objects.filter(verb="set_site_status", object_id=str(warehouse.pk)).get()
    assert event.actor == commander
    assert event.before == {"status": "normal", "status_reason": ""}
    assert event.after == {"status": "under_control", "status_reason": "仓库员工抗原阳性"}
    assert event.organisation_id == warehouse.organisation_id and event.site_id == warehouse.pk


def test_status_other_than_normal_needs_a_reason(user):
    warehouse = Site.objects.get(code="WH-TXQ")
    with pytest.raises(ValidationFailed) as exc:
        actions.set_site_status(warehouse, "locked_down", reason=" ", actor=user("commander"))
    assert "reason" in exc.value.details
    warehouse.refresh_from_db()
    assert warehouse.status == "normal"
    assert not AuditEvent.objects.filter(verb="set_site_status").exists()


def test_create_site_defaults_the_tier_by_kind(user):
    site = actions.create_site(
        {
            "code": "EH-NEW",
            "name": "新养老院",
            "kind": "elderly_home",
            "organisation": Organisation.objects.get(code="BSGX"),
        },
        actor=user("commander"),
    )
    assert site.priority_tier == 2
    assert AuditEvent.objects.filter(verb="create_site", object_id=str(site.pk)).count() == 1


def test_create_site_outside_scope_is_refused(user):
    with pytest.raises(ValidationFailed) as exc:
        actions.create_site(
            {
                "code": "X-1",
                "name": "x",
                "kind": "warehouse",
                "lat": Decimal("31.3"),
                "lon": Decimal("121.4"),
                "organisation": Organisation.objects.get(code="YYGS"),
            },
            actor=user("dispatcher"),
        )
    assert "organisation" in exc.value.details
    assert not Site.objects.filter(code="X-1").exists()


def workbook(rows):
    return xlsx_file([c.header for c in actions.SITE_COLUMNS], rows, "sites.xlsx")


def test_import_sites_all_or_nothing_with_row_errors(user):
    before = Site.objects.count()
    bad = workbook(
        [
            ["DP-1", "杨鑫邻里中心", "delivery_point", "BSZF", "310113103", "杨泰路258号", "31.383", "121.436"],
            ["DP-2", "坏行", "spaceship", "NOPE", "999", "", "abc", "121"],
            ["DP-1", "重复", "delivery_point", "BSZF", "", "", "", ""],
        ]
    )
    with pytest.raises(ValidationFailed) as exc:
        actions.import_sites(bad, actor=user("commander"))
    rows = exc.value.details["rows"]
    fields = {(r["row"], r["field"]) for r in rows}
    assert (3, "kind") in fields and (3, "organisation") in fields and (3, "area") in fields and (3, "lat") in fields
    assert (4, "code") in fields
    assert Site.objects.count() == before


def test_import_sites_accepts_full_width_digits_and_creates(user):
    good = workbook(
        [
            [
                "DP-1",
                "杨鑫邻里中心",
                "配送点",
                "BSZF",
                "３１０１１３１０３",
                "杨泰路258号",
                "31.383",
                "121.436",
                "",
                "",
                "",
                "5000",
            ]
        ]
    )
    saved = actions.import_sites(good, actor=user("commander"))
    assert [s.code for s in saved] == ["DP-1"]
    site = Site.objects.get(code="DP-1")
    assert site.area.name == "杨行镇" and site.priority_tier == 4 and site.headcount == 5000
    assert AuditEvent.objects.filter(verb="import_site", object_id=str(site.pk)).exists()


def test_every_role_permission_exists(db):
    from baogong.orgs.roles import missing_permissions

    assert missing_permissions() == []


def test_change_site_status_runs_only_inside_the_callers_transaction():
    # given no transaction is open (no database access at all: the check comes first)
    assert not transaction.get_connection().in_atomic_block
    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        actions.change_site_status(None, "under_control", reason="阳性", actor=None)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        actions.lock_sites([1])


def test_change_site_status_inside_a_transaction_writes_and_audits(user):
    warehouse = Site.objects.get(code="WH-TXQ")
    with transaction.atomic():
        actions.change_site_status(warehouse, "under_control", reason="阳性", actor=user("commander"))
    assert Site.objects.get(pk=warehouse.pk).status == "under_control"
    assert AuditEvent.objects.filter(verb="set_site_status", object_id=str(warehouse.pk)).count() == 1
