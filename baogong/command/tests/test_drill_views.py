"""The drill page: run as a background job with progress, saved with its parameters, audited,
exported as Excel and PDF; command centre may run, the auditor may view, others may not."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from baogong.command import actions
from baogong.command.errors import DrillInvalid
from baogong.command.models import Drill
from baogong.core.models import AuditEvent, Job
from baogong.core.tests.pdf import has_cjk_font
from baogong.orgs.models import Site

pytestmark = pytest.mark.django_db


def _post(network, **extra):
    return {
        "from": network["start"].isoformat(),
        "days": "3",
        "seed": "1",
        "lockdown": ["WH-TXQ"],
        "fleet_cut_pct": "0",
        "road_closure_pct": "0",
        "surge_pct": "0",
        "title": "泰兴桥封控三天",
        **extra,
    }


@pytest.mark.django_db(transaction=True)
def test_drill_runs_as_a_background_job_and_is_saved_audited_and_exported(network, client_for):
    # given the command centre on the drill form
    client = client_for("commander")
    assert client.get(reverse("command:start_drill")).status_code == 200
    # when it runs a drill
    response = client.post(reverse("command:start_drill"), _post(network))
    drill = Drill.objects.get()
    assert response.status_code == 302 and response.url == reverse("command:drill_detail", args=[drill.pk])
    # then it is queued with its parameters, a job and an audit event; the page shows the progress bar
    assert drill.status == "queued" and drill.job.status == "queued"
    assert drill.parameters["lockdown"] == ["WH-TXQ"] and drill.parameters["window"]["days"] == 3
    assert AuditEvent.objects.filter(verb="start_drill", object_id=str(drill.pk)).count() == 1
    assert 'role="progressbar"' in client.get(reverse("command:drill_detail", args=[drill.pk])).content.decode()
    # when the worker runs it
    call_command("db_worker", "--batch", "--interval", "0")
    drill.refresh_from_db()
    job = Job.objects.get(pk=drill.job_id)
    # then the result is stored, the job finished, the warehouse still normal
    assert job.status == "succeeded" and job.progress == 100
    assert drill.status == "done" and drill.finished_at is not None
    assert drill.result["drill"]["fill_rate_by_tier"] == {"1": 1.0, "2": 0.5, "3": 0.0}
    assert AuditEvent.objects.filter(verb="record_drill_result", object_id=str(drill.pk)).count() == 1
    assert not AuditEvent.objects.filter(verb="set_site_status").exists()
    assert Site.objects.get(code="WH-TXQ").status == "normal"
    # and the page shows baseline and drill side by side with what moved
    page = client.get(reverse("command:drill_detail", args=[drill.pk])).content.decode()
    assert 'id="drill-summary"' in page and "FH-FCL" in page and "WH-YY" in page
    assert "50.0%" in page  # tier 2 in the drill
    # and exports: Excel with the moved shipments, PDF with the CJK font
    xlsx = client.get(reverse("command:drill_export", args=[drill.pk, "xlsx"]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(xlsx.content))
    moved = [row for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert ("N95", "FH-FCL", "WH-TXQ", "WH-YY", 60) in moved
    pdf = client.get(reverse("command:drill_export", args=[drill.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf" and has_cjk_font(pdf.content)
    # and it is listed
    assert "泰兴桥封控三天" in client.get(reverse("command:drill_list")).content.decode()


def test_drill_form_shows_field_errors_and_writes_nothing(network, client_for):
    client = client_for("commander")
    response = client.post(reverse("command:start_drill"), _post(network, lockdown=[], days="3"))
    assert response.status_code == 400
    assert "Choose at least one event." in response.content.decode() or "至少" in response.content.decode()
    response = client.post(reverse("command:start_drill"), _post(network, days="61"))
    assert response.status_code == 400
    assert Drill.objects.count() == 0 and not AuditEvent.objects.filter(verb="start_drill").exists()


def test_auditor_views_but_may_not_run(network, client_for, user):
    drill = actions.start_drill({"from": network["start"], "days": 2, "lockdown": "WH-TXQ"}, actor=user("commander"))
    auditor = client_for("auditor")
    assert auditor.get(reverse("command:drill_list")).status_code == 200
    assert auditor.get(reverse("command:drill_detail", args=[drill.pk])).status_code == 200
    assert auditor.get(reverse("command:start_drill")).status_code == 403
    assert auditor.post(reverse("command:start_drill"), _post(network)).status_code == 403
    assert Drill.objects.count() == 1


@pytest.mark.parametrize("username", ["warehouse", "dispatcher", "health"])
def test_other_roles_see_no_drills(network, client_for, user, username):
    drill = actions.start_drill({"from": network["start"], "days": 2, "lockdown": "WH-TXQ"}, actor=user("commander"))
    client = client_for(username)
    assert client.get(reverse("command:drill_list")).status_code == 403
    assert client.get(reverse("command:drill_detail", args=[drill.pk])).status_code == 403
    assert client.get(reverse("command:start_drill")).status_code == 403


def test_only_users_who_see_the_whole_network_may_run_a_drill(network, user):
    with pytest.raises(DrillInvalid):
        actions.start_drill({"from": network["start"], "days": 2, "lockdown": "WH-TXQ"}, actor=user("warehouse"))
    assert Drill.objects.count() == 0


def test_drills_are_in_the_command_centre_menu(base, client_for):
    assert reverse("command:drill_list") in client_for("commander").get("/").content.decode()
    assert reverse("command:drill_list") not in client_for("warehouse").get("/").content.decode()


def test_a_saved_drill_runs_again_with_the_same_parameters(network, client_for, user):
    first = actions.start_drill(
        {"from": network["start"], "days": 2, "lockdown": "WH-TXQ", "seed": 5}, actor=user("commander"), title="再演"
    )
    assert client_for("auditor").post(reverse("command:rerun_drill", args=[first.pk])).status_code == 403
    response = client_for("commander").post(reverse("command:rerun_drill", args=[first.pk]))
    again = Drill.objects.exclude(pk=first.pk).get()
    assert response.url == reverse("command:drill_detail", args=[again.pk])
    assert again.parameters == first.parameters and again.title == "再演" and again.seed == 5
