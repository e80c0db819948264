"""Requests: filing, duplicates, the approval workflow, norms, request links and Excel import."""

from __future__ import annotations

from decimal import Decimal

import pytest

from baogong.core.excel import ImportFailed
from baogong.core.models import AuditEvent
from baogong.core.tests.xlsx import xlsx_file
from baogong.distribution import actions
from baogong.distribution.actions import LineInput
from baogong.distribution.choices import RequestChannel, RequestStatus
from baogong.distribution.errors import (
    RequestInvalid,
    RequestLinkInvalid,
    RequestLinkRateLimited,
    RequestStateInvalid,
)
from baogong.distribution.models import Norm, Request, RequestLine

from .conftest import SYSTEM, in_days


def events(verb):
    return list(AuditEvent.objects.filter(verb=verb).order_by("id"))


def test_file_request_as_draft_records_lines_and_audit(file, hospital, n95, rice):
    # when
    request = file(hospital, (n95, 300, in_days(2)), (rice, 40, in_days(3)), submit=False, note="first wave")
    # then
    request.refresh_from_db()
    assert request.status == RequestStatus.DRAFT
    assert request.channel == RequestChannel.STAFF
    assert request.number.startswith("RQ") and request.number.endswith(f"{request.pk:06d}")
    assert [(line.item.code, line.qty, line.approved_qty) for line in request.lines.order_by("id")] == [
        ("N95", 300, None),
        ("RICE", 40, None),
    ]
    (event,) = events("file_request")
    assert event.object_id == str(request.pk)
    assert event.after["recipient"] == "FH-FCL"
    assert [line["qty"] for line in event.after["lines"]] == [300, 40]


def test_recipient_user_files_for_own_site_only(file, recipient_user, elderly_home, hospital, n95):
    # when the elderly home's clerk files for the home
    request = file(elderly_home, (n95, 10, in_days(1)), actor=recipient_user, channel=RequestChannel.RECIPIENT)
    assert request.created_by == recipient_user
    # then filing for the hospital is refused and writes nothing
    with pytest.raises(RequestInvalid) as exc:
        file(hospital, (n95, 10, in_days(1)), actor=recipient_user)
    assert "recipient" in exc.value.details
    assert Request.objects.count() == 1


@pytest.mark.parametrize("qty", [0, -1, True])
def test_bad_quantity_is_refused_with_a_field_error(file, hospital, n95, qty):
    with pytest.raises(RequestInvalid) as exc:
        file(hospital, (n95, qty, in_days(1)))
    assert list(exc.value.details) == ["lines[0].qty"]
    assert Request.objects.count() == 0
    assert events("file_request") == []


def test_empty_request_is_refused(hospital):
    with pytest.raises(RequestInvalid) as exc:
        actions.file_request(hospital, [], actor=SYSTEM)
    assert list(exc.value.details) == ["lines"]


def test_duplicate_request_is_filed_with_a_warning(file, hospital, elderly_home, n95, rice):
    # given a live request of the hospital for N95 needed in 3 days
    first = file(hospital, (n95, 300, in_days(3)))
    # when the hospital asks again for N95 (overlapping) and rice; the home asks for N95 too
    second = file(hospital, (n95, 100, in_days(1)), (rice, 5, in_days(1)))
    other = file(elderly_home, (n95, 10, in_days(1)))
    # then only the hospital's N95 line is flagged, naming the first request
    assert second.warnings == [
        {
            "item": "N95",
            "item_name": "医用防护口罩",
            "request": first.number,
            "request_id": first.pk,
            "needed_by": in_days(3).isoformat(),
            "qty": 300,
        }
    ]
    assert other.warnings == []
    assert first.warnings == []


def test_rejected_requests_do_not_count_as_duplicates(file, hospital, n95):
    first = file(hospital, (n95, 300, in_days(3)))
    actions.reject_request(first, reason="wrong site", actor=SYSTEM)
    assert file(hospital, (n95, 100, in_days(1))).warnings == []


def test_submit_draft_then_again_is_refused(file, hospital, n95):
    request = file(hospital, (n95, 5, in_days(1)), submit=False)
    submitted = actions.submit_request(request, actor=SYSTEM)
    assert submitted.status == RequestStatus.SUBMITTED
    assert submitted.submitted_at is not None
    assert events("submit_request")[0].after["status"] == "submitted"
    with pytest.raises(RequestStateInvalid):
        actions.submit_request(request, actor=SYSTEM)


def test_approve_with_a_cut_records_reason_and_audit(file, commander, hospital, n95, rice):
    request = file(hospital, (n95, 300, in_days(2)), (rice, 40, in_days(2)))
    n95_line, rice_line = request.lines.order_by("id")
    # when
    actions.approve_request(request, actor=commander, cuts={n95_line.pk: (200, "inflated vs headcount")})
    # then
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.decided_by == commander
    assert [(line.approved_qty, line.cut_reason) for line in request.lines.order_by("id")] == [
        (200, "inflated vs headcount"),
        (40, ""),
    ]
    (event,) = events("approve_request")
    assert event.after["cuts"] == {str(n95_line.pk): {"qty": 200, "reason": "inflated vs headcount"}}
    assert event.before["status"] == "submitted"


@pytest.mark.parametrize(
    ("cut", "field"),
    [((200, ""), "cut_reason"), ((301, "x"), "approved_qty"), ((-1, "x"), "approved_qty")],
)
def test_bad_cut_is_refused_and_nothing_changes(file, commander, hospital, n95, cut, field):
    request = file(hospital, (n95, 300, in_days(2)))
    line = request.lines.get()
    with pytest.raises(RequestInvalid) as exc:
        actions.approve_request(request, actor=commander, cuts={line.pk: cut})
    assert list(exc.value.details) == [f"lines.{line.pk}.{field}"]
    request.refresh_from_db()
    line.refresh_from_db()
    assert (request.status, line.approved_qty) == (RequestStatus.SUBMITTED, None)
    assert events("approve_request") == []


def test_approving_a_draft_is_refused(file, hospital, n95):
    request = file(hospital, (n95, 5, in_days(1)), submit=False)
    with pytest.raises(RequestStateInvalid):
        actions.approve_request(request, actor=SYSTEM)


def test_reject_needs_a_reason(file, hospital, n95):
    request = file(hospital, (n95, 5, in_days(1)))
    with pytest.raises(RequestInvalid):
        actions.reject_request(request, reason="  ", actor=SYSTEM)
    rejected = actions.reject_request(request, reason="not our district", actor=SYSTEM)
    assert (rejected.status, rejected.rejection_reason) == (RequestStatus.REJECTED, "not our district")
    assert events("reject_request")[0].after == {"status": "rejected", "reason": "not our district"}


def test_cut_after_approval_needs_reason_and_stays_above_allocated(file, hospital, n95):
    request = file(hospital, (n95, 300, in_days(2)))
    actions.approve_request(request, actor=SYSTEM)
    line = request.lines.get()
    RequestLine.objects.filter(pk=line.pk).update(allocated_qty=50)  # as a confirmed run would leave it
    with pytest.raises(RequestInvalid):
        actions.cut_request_line(line, 40, reason="stock short", actor=SYSTEM)
    with pytest.raises(RequestInvalid):
        actions.cut_request_line(line, 100, reason="", actor=SYSTEM)
    cut = actions.cut_request_line(line, 50, reason="stock short", actor=SYSTEM)
    assert (cut.approved_qty, cut.cut_reason) == (50, "stock short")
    request.refresh_from_db()
    assert request.status == RequestStatus.ALLOCATED
    (event,) = events("cut_request_line")
    assert (event.before["approved_qty"], event.after["approved_qty"]) == (300, 50)


def test_cancel_with_reason(file, hospital, n95):
    request = file(hospital, (n95, 5, in_days(1)))
    with pytest.raises(RequestInvalid):
        actions.cancel_request(request, reason="", actor=SYSTEM)
    cancelled = actions.cancel_request(request, reason="filed twice", actor=SYSTEM)
    assert (cancelled.status, cancelled.cancel_reason) == (RequestStatus.CANCELLED, "filed twice")
    assert events("cancel_request")[0].after["released_units"] == 0
    with pytest.raises(RequestStateInvalid):
        actions.cancel_request(request, reason="again", actor=SYSTEM)


def test_close_only_after_delivery(file, hospital, n95):
    request = file(hospital, (n95, 5, in_days(1)))
    with pytest.raises(RequestStateInvalid):
        actions.close_request(request, actor=SYSTEM)


def test_set_norm_creates_then_updates_with_audit(n95):
    norm = actions.set_norm(n95, Decimal("0.02"), actor=SYSTEM, note="1 box per 50 people")
    again = actions.set_norm(n95, Decimal("0.05"), actor=SYSTEM)
    assert norm.pk == again.pk
    assert Norm.objects.get().qty_per_person == Decimal("0.0500")
    first, second = events("set_norm")
    assert first.before is None and second.before["qty_per_person"] == "0.0200"
    with pytest.raises(RequestInvalid):
        actions.set_norm(n95, Decimal("-1"), actor=SYSTEM)


# ----------------------------------------------------------------- request links


def test_request_link_files_a_submitted_request_with_submitter(street, n95):
    link = actions.create_request_link(street, actor=SYSTEM, label="吴淞街道 物资组")
    assert len(link.token) >= 32
    request = actions.submit_via_link(
        link.token,
        [LineInput(item=n95, qty=20, needed_by=in_days(1))],
        submitter_name="王敏",
        submitter_phone="139 1234 5678",
    )
    assert (request.status, request.channel, request.link_id) == (RequestStatus.SUBMITTED, "link", link.pk)
    assert (request.submitter_name, request.submitter_phone) == ("王敏", "13912345678")
    assert request.created_by is None
    assert events("file_request")[0].actor_label == "request-link:王敏"


@pytest.mark.parametrize(
    ("name", "phone", "field"), [("", "13912345678", "submitter_name"), ("王敏", "12345", "submitter_phone")]
)
def test_request_link_needs_name_and_phone(street, n95, name, phone, field):
    link = actions.create_request_link(street, actor=SYSTEM)
    with pytest.raises(RequestInvalid) as exc:
        actions.submit_via_link(
            link.token, [LineInput(item=n95, qty=1, needed_by=in_days(1))], submitter_name=name, submitter_phone=phone
        )
    assert list(exc.value.details) == [field]
    assert Request.objects.count() == 0


def test_revoked_or_unknown_link_is_refused(street, n95):
    link = actions.create_request_link(street, actor=SYSTEM)
    actions.revoke_request_link(link, actor=SYSTEM)
    assert events("revoke_request_link")[0].after == {"is_active": False}
    for token in (link.token, "no-such-token"):
        with pytest.raises(RequestLinkInvalid):
            actions.submit_via_link(
                token,
                [LineInput(item=n95, qty=1, needed_by=in_days(1))],
                submitter_name="a",
                submitter_phone="13912345678",
            )
    with pytest.raises(RequestLinkInvalid):
        actions.revoke_request_link(link, actor=SYSTEM)
    assert Request.objects.count() == 0


def test_request_link_is_rate_limited(street, n95, settings):
    settings.BAOGONG_REQUEST_LINK_PER_HOUR = 2
    link = actions.create_request_link(street, actor=SYSTEM)

    def submit():
        return actions.submit_via_link(
            link.token,
            [LineInput(item=n95, qty=1, needed_by=in_days(1))],
            submitter_name="a",
            submitter_phone="13912345678",
        )

    submit()
    submit()
    with pytest.raises(RequestLinkRateLimited):
        submit()
    assert Request.objects.count() == 2


# ----------------------------------------------------------------- Excel import


def workbook(rows):
    return xlsx_file([c.header for c in actions.IMPORT_COLUMNS[:5]], rows, "requests.xlsx")


def test_import_groups_rows_into_submitted_requests(commander, n95, rice, hospital, street):
    day = in_days(2).isoformat()
    made = actions.import_requests(
        workbook(
            [["FH-FCL", "N95", 100, day, "A"], ["FH-FCL", "RICE", 10, day, "A"], ["SO-310113007", "N95", 5, day, ""]]
        ),
        actor=commander,
    )
    assert [(r.recipient.code, r.status, r.channel, r.lines.count()) for r in made] == [
        ("FH-FCL", "submitted", "excel", 2),
        ("SO-310113007", "submitted", "excel", 1),
    ]
    assert events("import_requests")[0].after["rows"] == 3


def test_import_with_a_bad_row_writes_nothing(commander, n95, hospital):
    day = in_days(2).isoformat()
    with pytest.raises(ImportFailed) as exc:
        actions.import_requests(
            workbook([["FH-FCL", "N95", 100, day, ""], ["FH-FCL", "NOPE", 0, day, ""], ["XX", "N95", "abc", day, ""]]),
            actor=commander,
        )
    assert sorted((e["row"], e["field"]) for e in exc.value.details["rows"]) == [
        (3, "item"),
        (3, "qty"),
        (4, "qty"),
        (4, "recipient"),
    ]
    assert Request.objects.count() == 0
