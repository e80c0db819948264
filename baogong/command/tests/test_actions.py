from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.command import actions, queries
from baogong.command.errors import InspectionInvalid, PostInvalid, RecipientInvalid, RectificationClosed
from baogong.command.models import CommunicationPost, Finding, Inspection, Rectification, ReportRecipient
from baogong.command.tests.conftest import all_ok
from baogong.core.models import AuditEvent
from baogong.orgs.models import Organisation, Site

pytestmark = pytest.mark.django_db


def _post(actor, **kw):
    data = {
        "organisation": Organisation.objects.get(code="BSGX"),
        "kind": "own",
        "channel": "wechat",
        "published_on": dt.date(2022, 4, 10),
        "title": "保供一线",
        "reads": 300,
        **kw,
    }
    return actions.record_post(data, actor=actor)


def test_post_totals_give_items_and_reads(user):
    commander = user("commander")
    _post(commander, reads=1200)
    _post(commander, channel="website", reads=800)
    _post(commander, kind="coverage", channel="press", outlet="解放日报", reads=0)
    # when
    own = queries.post_totals(queries.own_posts(queries.posts_for(commander)))
    outside = queries.post_totals(queries.coverage(queries.posts_for(commander)))
    # then
    assert own == {"count": 2, "reads": 2000}
    assert outside == {"count": 1, "reads": 0}
    assert AuditEvent.objects.filter(verb="record_post").count() == 3


def test_post_with_bad_link_is_refused(user):
    with pytest.raises(PostInvalid) as info:
        _post(user("commander"), link="not a url")
    assert "link" in info.value.details
    assert not CommunicationPost.objects.exists()


def test_update_post_reads_is_audited(user):
    post = _post(user("commander"))
    actions.update_post_reads(post, 4500, actor=user("commander"))
    post.refresh_from_db()
    assert post.reads == 4500
    assert AuditEvent.objects.get(verb="update_post_reads").before == {"reads": 300}


def test_inspection_with_failures_opens_rectifications(user, venue, template):
    # when
    inspection = actions.record_inspection(
        venue,
        template,
        on=dt.date(2022, 6, 1),
        findings=all_ok(template, capacity="超限流30%", venue_code="未张贴场所码"),
        actor=user("commander"),
    )
    # then
    assert (inspection.items_checked, inspection.items_compliant) == (7, 5)
    assert not inspection.is_compliant
    open_items = sorted(r.finding.item.code for r in queries.open_rectifications(user("commander")))
    assert open_items == ["capacity", "venue_code"]
    event = AuditEvent.objects.get(verb="record_inspection")
    assert event.after["failed"] == ["capacity", "venue_code"]
    assert event.site_id == venue.pk


def test_inspection_must_answer_every_point(user, venue, template):
    findings = all_ok(template)[:-1]
    with pytest.raises(InspectionInvalid) as info:
        actions.record_inspection(venue, template, on=dt.date(2022, 6, 1), findings=findings, actor=user("commander"))
    assert "findings" in info.value.details
    assert not Inspection.objects.exists()


def test_failed_point_needs_finding_owner_and_deadline(user, venue, template):
    findings = all_ok(template)
    findings[0] = actions.FindingInput(item_code=findings[0].item_code, is_compliant=False)
    with pytest.raises(InspectionInvalid) as info:
        actions.record_inspection(venue, template, on=dt.date(2022, 6, 1), findings=findings, actor=user("commander"))
    assert len(info.value.details[f"finding_{findings[0].item_code}"]) == 3
    assert not Inspection.objects.exists()
    assert not Finding.objects.exists()


def test_only_commercial_venues_are_inspected(user, template):
    warehouse = Site.objects.get(code="WH-TXQ")
    with pytest.raises(InspectionInvalid):
        actions.record_inspection(
            warehouse, template, on=dt.date(2022, 6, 1), findings=all_ok(template), actor=user("commander")
        )
    assert not Inspection.objects.exists()


def test_photo_must_be_an_image(user, venue, template, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    findings = all_ok(template)
    good = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff\xe0 jpeg")
    findings[0] = actions.FindingInput(item_code=findings[0].item_code, is_compliant=True, photo=good)
    inspection = actions.record_inspection(
        venue, template, on=dt.date(2022, 6, 1), findings=findings, actor=user("commander")
    )
    assert inspection.findings.exclude(photo="").count() == 1
    findings[0] = actions.FindingInput(
        item_code=findings[0].item_code, is_compliant=True, photo=SimpleUploadedFile("p.jpg", b"%PDF-1.7")
    )
    with pytest.raises(InspectionInvalid):
        actions.record_inspection(venue, template, on=dt.date(2022, 6, 2), findings=findings, actor=user("commander"))
    assert Inspection.objects.count() == 1


def test_reinspection_fail_keeps_open_pass_closes(user, venue, template):
    commander = user("commander")
    actions.record_inspection(
        venue, template, on=dt.date(2022, 6, 1), findings=all_ok(template, pickup="无取货点"), actor=commander
    )
    rectification = Rectification.objects.get()
    # a failing re-inspection needs a finding and keeps it open
    with pytest.raises(InspectionInvalid):
        actions.record_reinspection(rectification, on=dt.date(2022, 6, 3), is_compliant=False, actor=commander)
    still = actions.record_reinspection(
        rectification, on=dt.date(2022, 6, 3), is_compliant=False, remark="仍未设置", actor=commander
    )
    assert still.status == "open"
    closed = actions.record_reinspection(rectification, on=dt.date(2022, 6, 5), is_compliant=True, actor=commander)
    assert (closed.status, closed.closed_on) == ("closed", dt.date(2022, 6, 5))
    assert Inspection.objects.filter(follows=rectification).count() == 2
    with pytest.raises(RectificationClosed):
        actions.record_reinspection(rectification, on=dt.date(2022, 6, 6), is_compliant=True, actor=commander)
    assert AuditEvent.objects.filter(verb="record_reinspection").count() == 2


def test_compliance_rate_per_venue_and_week(user, venue, template):
    commander = user("commander")
    actions.record_inspection(
        venue, template, on=dt.date(2022, 6, 1), findings=all_ok(template, capacity="x"), actor=commander
    )
    actions.record_inspection(venue, template, on=dt.date(2022, 6, 3), findings=all_ok(template), actor=commander)
    actions.record_inspection(
        venue,
        template,
        on=dt.date(2022, 6, 7),
        findings=all_ok(template, capacity="x", pickup="y", training="z"),
        actor=commander,
    )
    rect = Rectification.objects.filter(status="open").first()
    actions.record_reinspection(rect, on=dt.date(2022, 6, 8), is_compliant=True, actor=commander)
    # when
    rows = queries.compliance(commander)
    # then: re-inspections excluded; week of 2022-05-30 has 13/14, week of 06-06 has 4/7
    assert [
        (r.week, r.inspections, r.compliant_inspections, r.points_compliant, r.points_checked, str(r.rate))
        for r in rows
    ] == [
        (dt.date(2022, 5, 30), 2, 1, 13, 14, "92.9"),
        (dt.date(2022, 6, 6), 1, 0, 4, 7, "57.1"),
    ]


def test_report_recipient_needs_a_target(user):
    with pytest.raises(RecipientInvalid):
        actions.add_report_recipient(
            {"organisation": Organisation.objects.get(code="BSGX"), "name": "空"}, actor=user("commander")
        )
    assert not ReportRecipient.objects.exists()
    recipient = actions.add_report_recipient(
        {"organisation": Organisation.objects.get(code="BSGX"), "name": "总社办公室", "email": "office@example.cn"},
        actor=user("commander"),
    )
    actions.remove_report_recipient(recipient, actor=user("commander"))
    assert list(queries.active_recipients()) == []
    assert AuditEvent.objects.filter(verb__in=["add_report_recipient", "remove_report_recipient"]).count() == 2
