from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.core.models import AuditEvent
from baogong.finance import actions, queries
from baogong.finance.errors import (
    ClaimInvalid,
    ClaimWrongStatus,
    CostLineInvalid,
    CostLineNotPending,
    MissionInvalid,
    PaymentExceedsClaim,
)
from baogong.finance.models import ClaimPayment, CostLine, Mission, ReimbursementClaim
from baogong.finance.tests.conftest import add_cost, mission_data
from baogong.orgs.models import Organisation, Site

pytestmark = pytest.mark.django_db


def test_create_mission_records_recipients_and_audit(mission, commander):
    # then
    assert mission.recipients.get().code == "FH-FCL"
    event = AuditEvent.objects.get(verb="create_mission")
    assert event.after["recipients"] == ["FH-FCL"]
    assert event.actor == commander
    assert event.organisation_id == Organisation.objects.get(code="BSGX").pk


def test_create_mission_outside_scope_is_refused(narrow_commander):
    # when / then
    with pytest.raises(MissionInvalid) as info:
        actions.create_mission(mission_data("M-X", organisation="BYJT"), actor=narrow_commander)
    assert "organisation" in info.value.details
    assert not Mission.objects.filter(code="M-X").exists()


def test_create_mission_with_period_reversed_is_refused(commander, base):
    with pytest.raises(MissionInvalid):
        actions.create_mission(
            mission_data("M-Y", starts_on=dt.date(2022, 4, 10), ends_on=dt.date(2022, 4, 1)), actor=commander
        )
    assert not Mission.objects.exists()


def test_add_cost_line_rounds_to_fen_and_is_pending(mission, commander):
    # when
    line = add_cost(mission, commander, "1234.565")
    # then
    assert line.amount == Decimal("1234.57")
    assert line.status == "pending"
    assert AuditEvent.objects.filter(verb="add_cost_line", object_id=str(line.pk)).count() == 1


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_add_cost_line_refuses_non_positive_amounts(mission, commander, amount):
    with pytest.raises(CostLineInvalid):
        add_cost(mission, commander, amount)
    assert not CostLine.objects.exists()


def test_goods_bought_in_need_an_invoice(mission, commander):
    with pytest.raises(CostLineInvalid) as info:
        add_cost(mission, commander, "10", category="goods", invoice_number="")
    assert "invoice_number" in info.value.details
    assert not CostLine.objects.exists()


def test_attachment_is_stored_when_type_matches(mission, commander, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.7 test", content_type="application/pdf")
    line = actions.add_cost_line(
        mission,
        {"category": "lodging", "amount": Decimal("880"), "incurred_on": dt.date(2022, 4, 3), "invoice_number": "F1"},
        attachment=upload,
        actor=commander,
    )
    assert line.attachment.name.endswith(".pdf")
    assert line.attachment.read().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("name", "content"),
    [("invoice.exe", b"MZ\x90\x00"), ("invoice.pdf", b"MZ\x90\x00 not a pdf"), ("photo.png", b"%PDF-1.7")],
)
def test_attachment_of_wrong_type_is_refused(mission, commander, settings, tmp_path, name, content):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile(name, content)
    with pytest.raises(CostLineInvalid) as info:
        actions.add_cost_line(
            mission,
            {"category": "other", "amount": Decimal("5"), "incurred_on": dt.date(2022, 4, 3)},
            attachment=upload,
            actor=commander,
        )
    assert "attachment" in info.value.details
    assert not CostLine.objects.exists()
    assert list(tmp_path.iterdir()) == []


def test_attachment_too_large_is_refused(mission, commander, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.BAOGONG_MAX_UPLOAD_BYTES = 10
    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.7 more than ten bytes")
    with pytest.raises(CostLineInvalid):
        actions.add_cost_line(
            mission,
            {"category": "other", "amount": Decimal("5"), "incurred_on": dt.date(2022, 4, 3)},
            attachment=upload,
            actor=commander,
        )
    assert not CostLine.objects.exists()


def test_approve_cost_line_and_refuse_a_second_time(mission, commander):
    line = add_cost(mission, commander, "500")
    # when
    approved = actions.approve_cost_line(line, actor=commander)
    # then
    assert approved.status == "approved"
    assert approved.approved_by == commander
    event = AuditEvent.objects.get(verb="approve_cost_line")
    assert event.before == {"status": "pending"}
    with pytest.raises(CostLineNotPending):
        actions.approve_cost_line(line, actor=commander)
    assert AuditEvent.objects.filter(verb="approve_cost_line").count() == 1


def test_reject_cost_line_needs_reason(mission, commander):
    line = add_cost(mission, commander, "500")
    with pytest.raises(CostLineInvalid):
        actions.reject_cost_line(line, "  ", actor=commander)
    line.refresh_from_db()
    assert line.status == "pending"
    rejected = actions.reject_cost_line(line, "重复报销", actor=commander)
    assert rejected.status == "rejected"
    assert AuditEvent.objects.get(verb="reject_cost_line").after["rejection_reason"] == "重复报销"


def _approved(mission, commander, *amounts):
    return [
        actions.approve_cost_line(add_cost(mission, commander, a, day=i + 1), actor=commander)
        for i, a in enumerate(amounts)
    ]


def test_claim_lifecycle_partly_paid_then_paid(mission, commander):
    lines = _approved(mission, commander, "300.00", "200.50")
    # when
    claim = actions.create_claim(mission, lines, actor=commander)
    # then
    assert claim.number == "M-FCL-C001"
    assert claim.amount == Decimal("500.50")
    assert set(claim.lines.values_list("pk", flat=True)) == {line.pk for line in lines}
    claim = actions.submit_claim(claim, on=dt.date(2022, 5, 1), actor=commander)
    assert claim.status == "submitted"
    claim = actions.record_claim_payment(claim, Decimal("300"), received_on=dt.date(2022, 5, 20), actor=commander)
    assert (claim.status, claim.amount_received) == ("partly_paid", Decimal("300.00"))
    claim = actions.record_claim_payment(claim, Decimal("200.50"), received_on=dt.date(2022, 6, 1), actor=commander)
    assert (claim.status, claim.amount_received) == ("paid", Decimal("500.50"))
    assert ClaimPayment.objects.filter(claim=claim).count() == 2
    verbs = list(
        AuditEvent.objects.filter(object_id=str(claim.pk), verb__contains="claim").values_list("verb", flat=True)
    )
    assert sorted(verbs) == ["create_claim", "record_claim_payment", "record_claim_payment", "submit_claim"]


def test_overpayment_is_refused_and_nothing_changes(mission, commander):
    claim = actions.create_claim(mission, _approved(mission, commander, "100"), actor=commander)
    claim = actions.submit_claim(claim, on=dt.date(2022, 5, 1), actor=commander)
    with pytest.raises(PaymentExceedsClaim):
        actions.record_claim_payment(claim, Decimal("100.01"), received_on=dt.date(2022, 5, 2), actor=commander)
    claim.refresh_from_db()
    assert (claim.status, claim.amount_received) == ("submitted", Decimal("0.00"))
    assert not ClaimPayment.objects.exists()


def test_payment_on_a_draft_claim_is_refused(mission, commander):
    claim = actions.create_claim(mission, _approved(mission, commander, "100"), actor=commander)
    with pytest.raises(ClaimWrongStatus):
        actions.record_claim_payment(claim, Decimal("1"), received_on=dt.date(2022, 5, 2), actor=commander)
    with pytest.raises(ClaimWrongStatus):
        actions.reject_claim(claim, "x", actor=commander)
    assert not ClaimPayment.objects.exists()


def test_claim_refuses_pending_or_already_claimed_lines(mission, commander):
    pending = add_cost(mission, commander, "50")
    with pytest.raises(ClaimInvalid):
        actions.create_claim(mission, [pending], actor=commander)
    lines = _approved(mission, commander, "10")
    actions.create_claim(mission, lines, actor=commander)
    with pytest.raises(ClaimInvalid):
        actions.create_claim(mission, lines, actor=commander)
    with pytest.raises(ClaimInvalid):
        actions.create_claim(mission, [], actor=commander)
    assert ReimbursementClaim.objects.count() == 1


def test_rejected_claim_frees_its_lines(mission, commander):
    lines = _approved(mission, commander, "100", "50")
    claim = actions.submit_claim(
        actions.create_claim(mission, lines, actor=commander), on=dt.date(2022, 5, 1), actor=commander
    )
    # when
    claim = actions.reject_claim(claim, "缺少发票原件", actor=commander)
    # then
    assert claim.status == "rejected"
    assert list(queries.claimable_lines(mission)) == lines
    again = actions.create_claim(mission, lines, actor=commander)
    assert again.number == "M-FCL-C002"


def test_statement_budget_against_actual(mission, commander):
    _approved(mission, commander, "300.00", "200.50")
    add_cost(mission, commander, "99.99", category="labour")
    lines = list(CostLine.objects.filter(status="approved"))
    claim = actions.submit_claim(
        actions.create_claim(mission, lines[:1], actor=commander), on=dt.date(2022, 5, 1), actor=commander
    )
    actions.record_claim_payment(claim, Decimal("100"), received_on=dt.date(2022, 5, 2), actor=commander)
    # when
    st = queries.statement(mission)
    # then
    by_cat = {c.category: (c.approved, c.pending) for c in st.categories}
    assert by_cat["transport"] == (Decimal("500.50"), Decimal("0.00"))
    assert by_cat["labour"] == (Decimal("0.00"), Decimal("99.99"))
    assert st.approved == Decimal("500.50")
    assert st.remaining == Decimal("999499.50")
    assert st.claimed == Decimal("300.00")
    assert st.received == Decimal("100.00")
    assert st.unclaimed == Decimal("200.50")
    assert st.used_percent == Decimal("0.1")


def test_sync_goods_costs_adds_each_recipient_day_once(mission, commander, monkeypatch):
    site = Site.objects.get(code="FH-FCL")
    delivered = [(site.pk, dt.date(2022, 4, 2), Decimal("12000.456")), (site.pk, dt.date(2022, 4, 3), Decimal("800"))]
    monkeypatch.setattr(actions, "_delivered_values", lambda m, until: delivered)
    # when
    made = actions.sync_goods_costs(mission, until=dt.date(2022, 5, 31), actor=commander)
    again = actions.sync_goods_costs(mission, until=dt.date(2022, 5, 31), actor=commander)
    # then
    assert [(line.incurred_on, line.amount, line.status) for line in made] == [
        (dt.date(2022, 4, 2), Decimal("12000.46"), "approved"),
        (dt.date(2022, 4, 3), Decimal("800.00"), "approved"),
    ]
    assert again == []
    assert CostLine.objects.filter(category="goods").count() == 2
    assert AuditEvent.objects.filter(verb="sync_goods_costs").count() == 2


def test_delivered_values_read_from_distribution_without_deliveries_is_empty(mission):
    # distribution has landed: its delivered lines answer, and with no delivery there is nothing to add
    assert actions._delivered_values(mission, dt.date(2022, 5, 31)) == []
