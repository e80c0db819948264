"""Actions: premises, tenants, leases, rent roll, applications, review chain, credits, top-up."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.core.models import AuditEvent
from baogong.property import actions, queries
from baogong.property.errors import (
    ApplicationExists,
    ApplicationInvalid,
    ApplicationNotEligible,
    ApplicationWrongState,
    DocumentInvalid,
    DocumentsMissing,
    LeaseInvalid,
    PaymentInvalid,
    TenantInvalid,
)
from baogong.property.models import Invoice, Policy, ReliefApplication, ReliefCredit, Tenant
from baogong.property.rules import Proof

from .conftest import PDF, SYSTEM, make_idcard, make_uscc, office_head, pdf, through_review, upload_all

D = dt.date
JUNE = D(2022, 6, 1)


def verbs(obj):
    return list(
        AuditEvent.objects.filter(object_id=str(obj.pk), object_type__model=obj._meta.model_name)
        .order_by("at", "id")
        .values_list("verb", flat=True)
    )


# --- tenants and leases --------------------------------------------------------------------------
def test_enterprise_needs_a_valid_uscc(world):
    count = Tenant.objects.count()
    data = {"organisation": world.owner, "code": "T-X", "name": "X", "kind": "enterprise", "industry": "零售业"}
    with pytest.raises(TenantInvalid) as exc:
        actions.create_tenant({**data, "uscc": make_uscc(2)[:-1] + "0", "employees": 1, "revenue_wan": 1}, actor=SYSTEM)
    assert "uscc" in exc.value.details
    with pytest.raises(TenantInvalid) as exc:
        actions.create_tenant({**data, "uscc": make_uscc(2)}, actor=SYSTEM)
    assert set(exc.value.details) == {"employees", "revenue_wan"}
    assert Tenant.objects.count() == count


def test_individual_business_id_is_validated_and_masked(world):
    with pytest.raises(TenantInvalid) as exc:
        actions.create_tenant(
            {
                "organisation": world.owner,
                "code": "T-Y",
                "name": "Y",
                "kind": "individual_business",
                "operator_name": "李四",
                "operator_id_number": make_idcard(2)[:-1] + ("0" if make_idcard(2)[-1] != "0" else "1"),
            },
            actor=SYSTEM,
        )
    assert "operator_id_number" in exc.value.details
    assert world.noodles.masked_id_number == "310***********0018"
    event = AuditEvent.objects.get(verb="create_tenant", object_id=str(world.noodles.pk))
    assert event.after["operator_id_number"] == "***"
    assert world.noodles.size_class() == "individual"
    assert world.shop.size_class() == "small"


def test_sub_lease_chain_owner_sublessor_occupier(world):
    head = world.lease("L-H", units=("201",), rent="60000.00")
    sub = world.lease("L-S", tenant=world.noodles, units=("201",), rent="24000.00", period=1, parent=head)
    assert [lease.code for lease in sub.chain()] == ["L-H", "L-S"]
    assert (head.role, sub.role) == ("sublessor", "final_occupier")
    assert sub.is_state_owned_premises()
    with pytest.raises(LeaseInvalid) as exc:
        world.lease("L-S2", tenant=world.noodles, units=("101",), parent=head)
    assert "units" in exc.value.details


def test_lease_dates_and_period_are_checked(world):
    with pytest.raises(LeaseInvalid) as exc:
        world.lease("L-BAD", start=D(2022, 5, 1), end=D(2022, 4, 1), period=2)
    assert set(exc.value.details) >= {"end", "period_months"}
    assert verbs(world.lease("L-OK")) == ["create_lease"]


# --- rent roll -----------------------------------------------------------------------------------
def test_invoices_per_period_once(world):
    lease = world.lease()
    made = actions.issue_invoices(lease, up_to=JUNE, actor=SYSTEM)
    assert [(i.period_start, i.period_end, i.amount) for i in made] == [
        (D(2022, 1, 1), D(2022, 3, 31), Decimal("30000.00")),
        (D(2022, 4, 1), D(2022, 6, 30), Decimal("30000.00")),
    ]
    assert actions.issue_invoices(lease, up_to=JUNE, actor=SYSTEM) == []
    assert AuditEvent.objects.filter(verb="issue_invoice").count() == 2


def test_rent_free_months_are_not_invoiced(world):
    lease = world.lease(rent="10000.00", period=1, rent_free=[(D(2022, 1, 1), D(2022, 3, 31))])
    made = actions.issue_invoices(lease, up_to=D(2022, 4, 1), actor=SYSTEM)
    assert [(i.period_start, i.amount) for i in made] == [(D(2022, 4, 1), Decimal("10000.00"))]


def test_payments_and_arrears(world, user):
    lease = world.lease()
    first, second = actions.issue_invoices(lease, up_to=JUNE, actor=SYSTEM)
    actions.record_payment(first, Decimal("30000.00"), paid_on=D(2022, 1, 5), actor=SYSTEM)
    with pytest.raises(PaymentInvalid):
        actions.record_payment(second, Decimal("30000.01"), paid_on=D(2022, 4, 5), actor=SYSTEM)
    first.refresh_from_db()
    assert (first.status, first.outstanding) == ("paid", Decimal("0.00"))
    assert list(queries.arrears(user("property"), JUNE)) == [second]
    assert queries.is_in_arrears(world.shop, JUNE)
    assert not queries.is_in_arrears(world.shop, D(2022, 4, 1))
    assert list(queries.arrears(user("pharmacist"), JUNE)) == []


# --- applications --------------------------------------------------------------------------------
def paid_lease(world, **kwargs):
    lease = world.lease(**kwargs)
    for invoice in actions.issue_invoices(lease, up_to=JUNE, actor=SYSTEM):
        actions.record_payment(invoice, invoice.amount, paid_on=invoice.due_date, actor=SYSTEM)
    return lease


def test_application_through_the_chain_credits_the_next_invoice(world, user):
    officer = user("property")
    lease = paid_lease(world)
    tenant_user = user("tenant")
    actions.link_portal_user(world.shop, tenant_user, actor=officer)  # the tenant follows its leases in the portal
    application = actions.submit_application(lease, as_of=JUNE, actor=tenant_user)
    assert (application.policy.code, application.status, application.months) == ("sh-2022-05", "submitted", 6)
    assert (application.quoted_amount, application.covered_days) == (Decimal("60000.00"), 365)
    assert application.number == f"RR20220601-{application.pk:05d}"
    with pytest.raises(DocumentsMissing) as exc:
        actions.handle_application(application, actor=officer)
    assert exc.value.details == {
        "documents": ["application", "legal_rep_id", "business_licence", "lease", "size_proof"]
    }
    upload_all(application)
    approved = through_review(application, officer)
    assert (approved.status, approved.approved_amount) == ("approved", Decimal("60000.00"))
    credit = ReliefCredit.objects.get(application=application)
    assert (credit.kind, credit.amount, credit.applied) == ("credit_note", Decimal("60000.00"), Decimal("0.00"))
    july, october = actions.issue_invoices(lease, up_to=D(2022, 12, 31), actor=SYSTEM)
    july.refresh_from_db()
    october.refresh_from_db()
    assert (july.credited, july.outstanding, july.status) == (Decimal("30000.00"), Decimal("0.00"), "paid")
    assert (october.credited, october.outstanding) == (Decimal("30000.00"), Decimal("0.00"))
    credit.refresh_from_db()
    assert credit.applied == Decimal("60000.00")
    assert verbs(application) == [
        "submit_application",
        "upload_document",
        "upload_document",
        "upload_document",
        "upload_document",
        "upload_document",
        "handle_application",
        "check_application",
        "approve_application",
    ]


def test_refund_of_paid_rent(world, user):
    lease = paid_lease(world)
    application = actions.submit_application(lease, as_of=JUNE, settlement="refund", actor=SYSTEM)
    upload_all(application)
    through_review(application, user("property"))
    credit = ReliefCredit.objects.get(application=application)
    assert (credit.kind, credit.amount, credit.applied) == ("refund", Decimal("60000.00"), Decimal("60000.00"))
    assert list(Invoice.objects.filter(lease=lease).values_list("paid", "credited")) == [
        (Decimal("0.00"), Decimal("30000.00")),
        (Decimal("0.00"), Decimal("30000.00")),
    ]


def test_refund_beyond_paid_rent_becomes_a_credit(world, user):
    lease = world.lease()
    (first,) = actions.issue_invoices(lease, up_to=D(2022, 3, 1), actor=SYSTEM)
    actions.record_payment(first, first.amount, paid_on=D(2022, 1, 2), actor=SYSTEM)
    application = actions.submit_application(lease, as_of=JUNE, settlement="refund", actor=SYSTEM)
    upload_all(application)
    through_review(application, user("property"), on=D(2022, 3, 2))
    assert list(ReliefCredit.objects.filter(application=application).values_list("kind", "amount", "applied")) == [
        ("refund", Decimal("30000.00"), Decimal("30000.00")),
        ("credit_note", Decimal("30000.00"), Decimal("0.00")),
    ]


def test_march_policy_asks_for_the_chosen_proof(world):
    lease = paid_lease(world)
    application = actions.submit_application(
        lease, as_of=D(2022, 4, 10), proof=Proof(sealed_or_closed=True), actor=SYSTEM
    )
    assert (application.policy.code, application.months, application.quoted_amount) == (
        "sh-2022-03",
        6,
        Decimal("60000.00"),
    )
    assert queries.required_documents(application)[-1] == "sealed_or_closed"


def test_sublessor_cannot_apply_but_final_occupier_can(world):
    head = world.lease("L-H", units=("201",), rent="60000.00")
    sub = world.lease("L-S", tenant=world.noodles, units=("201",), rent="24000.00", period=1, parent=head)
    with pytest.raises(ApplicationNotEligible) as exc:
        actions.submit_application(head, as_of=JUNE, actor=SYSTEM)
    assert [r["code"] for r in exc.value.details["reasons"]] == ["sublessor"]
    application = actions.submit_application(sub, as_of=JUNE, actor=SYSTEM)
    assert (application.size_class, application.quoted_amount) == ("individual", Decimal("144000.00"))
    assert queries.required_documents(application) == ["application", "legal_rep_id", "business_licence", "lease"]


def test_medium_enterprise_cannot_apply(world):
    world.shop.employees, world.shop.revenue_wan = 60, Decimal("600")
    world.shop.save()
    with pytest.raises(ApplicationNotEligible) as exc:
        actions.submit_application(world.lease(), as_of=JUNE, actor=SYSTEM)
    assert [r["code"] for r in exc.value.details["reasons"]] == ["not_small_or_micro"]
    assert ReliefApplication.objects.count() == 0


def test_one_application_per_lease_and_policy(world):
    lease = world.lease()
    actions.submit_application(lease, as_of=JUNE, actor=SYSTEM)
    with pytest.raises(ApplicationExists):
        actions.submit_application(lease, as_of=D(2022, 7, 1), actor=SYSTEM)
    with pytest.raises(ApplicationInvalid):
        actions.submit_application(lease, as_of=D(2022, 3, 1), actor=SYSTEM)


def test_arrears_hold_the_approval_until_paid(world, user):
    officer = user("property")
    lease = world.lease()
    first, second = actions.issue_invoices(lease, up_to=JUNE, actor=SYSTEM)
    actions.record_payment(first, first.amount, paid_on=D(2022, 1, 5), actor=SYSTEM)
    application = actions.submit_application(lease, as_of=JUNE, actor=SYSTEM)
    assert [r["code"] for r in application.reasons] == ["in_arrears"]
    upload_all(application)
    actions.handle_application(application, actor=officer)
    actions.check_application(application, actor=user("commander"))
    with pytest.raises(ApplicationNotEligible) as exc:
        actions.approve_application(application, on=JUNE, actor=office_head())
    assert [r["code"] for r in exc.value.details["reasons"]] == ["in_arrears"]
    application.refresh_from_db()
    assert (application.status, application.approved_amount) == ("checked", Decimal("0.00"))
    assert not ReliefCredit.objects.exists()
    actions.record_payment(second, second.amount, paid_on=JUNE, actor=SYSTEM)
    approved = actions.approve_application(application, on=JUNE, actor=office_head())
    assert (approved.status, approved.approved_amount, approved.reasons) == ("approved", Decimal("60000.00"), [])


def test_return_for_documents_then_resubmit(world, user):
    officer = user("property")
    application = actions.submit_application(world.lease(), as_of=JUNE, actor=SYSTEM)
    with pytest.raises(ApplicationInvalid):
        actions.return_application(application, reason=" ", actor=officer)
    returned = actions.return_application(application, reason="营业执照不清晰", actor=officer)
    assert (returned.status, returned.decision_note) == ("returned", "营业执照不清晰")
    upload_all(returned)
    with pytest.raises(ApplicationWrongState):
        actions.handle_application(returned, actor=officer)
    assert actions.resubmit_application(returned, actor=SYSTEM).status == "submitted"
    assert verbs(application)[-2:] == ["upload_document", "resubmit_application"]


def test_reject_with_reason(world, user):
    application = actions.submit_application(world.lease(), as_of=JUNE, actor=SYSTEM)
    with pytest.raises(ApplicationInvalid):
        actions.reject_application(application, reason="", actor=user("property"))
    rejected = actions.reject_application(application, reason="非最终承租人", actor=user("property"))
    assert (rejected.status, rejected.decision_note) == ("rejected", "非最终承租人")
    assert rejected.decided_at is not None
    with pytest.raises(ApplicationWrongState):
        actions.approve_application(rejected, actor=user("property"))


@pytest.mark.parametrize(
    ("name", "content", "field"),
    [
        ("a.exe", b"MZ\x90\x00", "file"),
        ("a.pdf", b"\x89PNG\r\n\x1a\n1234", "file"),
        ("a.png", b"", "file"),
        ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "file"),
    ],
)
def test_documents_are_checked_for_type_and_size(world, name, content, field):
    application = actions.submit_application(world.lease(), as_of=JUNE, actor=SYSTEM)
    with pytest.raises(DocumentInvalid) as exc:
        actions.upload_document(application, "lease", SimpleUploadedFile(name, content), actor=SYSTEM)
    assert field in exc.value.details
    assert application.documents.count() == 0


def test_uploaded_document_is_stored(world):
    application = actions.submit_application(world.lease(), as_of=JUNE, actor=SYSTEM)
    document = actions.upload_document(application, "lease", pdf("租赁合同.pdf"), actor=SYSTEM)
    assert (document.kind, document.original_name, document.size) == ("lease", "租赁合同.pdf", len(PDF))
    assert document.file.read().startswith(b"%PDF-")


def test_several_documents_at_once_are_stored_and_each_audited(world):
    application = actions.submit_application(world.lease(), as_of=JUNE, actor=SYSTEM)
    documents = actions.upload_documents(
        application, [("lease", pdf("租赁合同.pdf")), ("business_licence", pdf("营业执照.pdf"))], actor=SYSTEM
    )
    assert [d.kind for d in documents] == ["lease", "business_licence"] and all(d.pk for d in documents)
    assert sorted(application.documents.values_list("kind", flat=True)) == ["business_licence", "lease"]
    events = AuditEvent.objects.filter(verb="upload_document").order_by("pk")
    assert [(e.object_id, e.after["document"], e.after["kind"]) for e in events] == [
        (str(application.pk), d.pk, d.kind) for d in documents
    ]


def test_one_bad_document_stores_none_of_them(world):
    application = actions.submit_application(world.lease(), as_of=JUNE, actor=SYSTEM)
    with pytest.raises(DocumentInvalid) as exc:
        actions.upload_documents(
            application,
            [("lease", pdf("租赁合同.pdf")), ("business_licence", SimpleUploadedFile("a.exe", b"MZ"))],
            actor=SYSTEM,
        )
    assert "business_licence" in exc.value.details
    assert application.documents.count() == 0
    assert not AuditEvent.objects.filter(verb="upload_document").exists()


def test_batch_review_reports_each_application(world, user):
    officer = user("property")
    ready = actions.submit_application(world.lease("L-1"), as_of=JUNE, actor=SYSTEM)
    upload_all(ready)
    bare = actions.submit_application(world.lease("L-2", units=("102",)), as_of=JUNE, actor=SYSTEM)
    result = actions.batch_review([bare, ready], "handle", actor=officer)
    assert result.done == [ready.number]
    assert [n for n, _message in result.failed] == [bare.number]
    ready.refresh_from_db()
    assert ready.status == "handled"


def test_top_up_under_the_later_policy(world, user):
    officer = user("property")
    lease = paid_lease(world)
    application = actions.submit_application(lease, as_of=D(2022, 4, 10), actor=SYSTEM)
    upload_all(application)
    approved = through_review(application, officer, on=D(2022, 5, 1))
    assert approved.approved_amount == Decimal("30000.00")
    may = Policy.objects.get(code="sh-2022-05")
    topped = actions.top_up_relief(may, on=JUNE, actor=officer)
    assert [a.pk for a in topped] == [application.pk]
    application.refresh_from_db()
    assert (application.topped_up_amount, application.total_relief) == (Decimal("30000.00"), Decimal("60000.00"))
    assert list(ReliefCredit.objects.filter(application=application).values_list("amount", "is_top_up")) == [
        (Decimal("30000.00"), False),
        (Decimal("30000.00"), True),
    ]
    assert actions.top_up_relief(may, on=JUNE, actor=officer) == []
    assert verbs(application)[-1] == "top_up_relief"


def test_progress_statistics(world, user):
    officer = user("property")
    lease = paid_lease(world)
    application = actions.submit_application(lease, as_of=JUNE, actor=SYSTEM)
    upload_all(application)
    through_review(application, officer)
    actions.submit_application(world.lease("L-2", units=("102",)), as_of=D(2022, 6, 8), actor=SYSTEM)
    stats = queries.progress(officer)
    assert stats["totals"] == {"received": 2, "approved": 1, "amount": Decimal("60000.00")}
    assert [(w, v["received"], v["approved"]) for w, v in stats["by_week"]] == [("2022-W22", 1, 1), ("2022-W23", 1, 0)]
    assert [(a, v["received"], v["amount"]) for a, v in stats["by_area"]] == [("友谊路街道", 2, Decimal("60000.00"))]
    assert queries.progress(user("pharmacist"))["totals"]["received"] == 0


# --- contradictions (issue 19.5) ------------------------------------------------------------------
def test_individual_business_cannot_be_registered_as_a_subsidiary_of_a_large_group(world):
    count = Tenant.objects.count()
    with pytest.raises(TenantInvalid) as refused:
        actions.create_tenant(
            {
                "organisation": world.owner,
                "code": "T-Z",
                "name": "张记小吃",
                "kind": "individual_business",
                "operator_name": "张三",
                "operator_id_number": make_idcard(7),
                "is_subsidiary_of_large_group": True,
                "is_state_owned": True,
            },
            actor=SYSTEM,
        )
    assert set(refused.value.details) == {"is_subsidiary_of_large_group", "is_state_owned"}
    assert Tenant.objects.count() == count


def test_application_of_a_tenant_whose_stored_facts_contradict_is_refused_not_quoted(world):
    from baogong.property.errors import FactsContradict
    from baogong.property.models import ReliefApplication

    lease = world.lease(tenant=world.noodles)
    # a record from before the rule (or edited outside the actions): the flag contradicts the type
    Tenant.objects.filter(pk=world.noodles.pk).update(is_subsidiary_of_large_group=True)
    lease.refresh_from_db()
    with pytest.raises(FactsContradict) as refused:
        actions.submit_application(lease, as_of=D(2022, 6, 1), actor=SYSTEM)
    assert list(refused.value.details) == ["subsidiary_of_large_group"]
    assert not ReliefApplication.objects.filter(lease=lease).exists()


# --- separation of duties (issue 19.4) ------------------------------------------------------------
def test_one_person_cannot_handle_check_and_approve_a_relief(world, user):
    from baogong.orgs.errors import SamePerson

    officer, commander = user("property"), user("commander")
    application = actions.submit_application(world.lease(), as_of=JUNE, actor=SYSTEM)
    upload_all(application)
    actions.handle_application(application, actor=officer)
    with pytest.raises(SamePerson) as refused:
        actions.check_application(application, actor=officer)
    assert list(refused.value.details) == ["actor"]
    actions.check_application(application, actor=commander)
    for same in (officer, commander):  # ¥60,000: neither the handler nor the checker may approve
        with pytest.raises(SamePerson):
            actions.approve_application(application, on=JUNE, actor=same)
    application.refresh_from_db()
    assert application.status == "checked" and not ReliefCredit.objects.exists()
    assert actions.approve_application(application, on=JUNE, actor=office_head()).status == "approved"


def test_below_the_three_person_amount_the_checker_may_approve(world, user, settings):
    settings.BAOGONG_RELIEF_THREE_PERSON_FROM = Decimal("100000")
    officer, commander = user("property"), user("commander")
    application = actions.submit_application(world.lease(), as_of=JUNE, actor=SYSTEM)
    upload_all(application)
    actions.handle_application(application, actor=officer)
    actions.check_application(application, actor=commander)
    assert actions.approve_application(application, on=JUNE, actor=commander).status == "approved"


def test_a_small_organisation_may_let_one_person_do_all_steps_audited(world, user):
    from baogong.core.models import AuditEvent
    from baogong.orgs.actions import set_one_person_approval

    officer = user("property")
    from baogong.orgs.errors import SiteInvalid

    with pytest.raises(SiteInvalid):  # the officer may not change the setting
        set_one_person_approval(world.owner, True, reason="小站点只有一名物业专员", actor=officer)
    set_one_person_approval(world.owner, True, reason="小站点只有一名物业专员", actor=user("commander"))
    setting = AuditEvent.objects.get(verb="set_one_person_approval")
    assert setting.after == {"allows_one_person_approval": True, "reason": "小站点只有一名物业专员"}
    application = actions.submit_application(world.lease(), as_of=JUNE, actor=SYSTEM)
    upload_all(application)
    actions.handle_application(application, actor=officer)
    actions.check_application(application, actor=officer)
    assert actions.approve_application(application, on=JUNE, actor=officer).status == "approved"
    waived = AuditEvent.objects.filter(verb__in=["check_application", "approve_application"])
    assert [e.after.get("one_person_waiver") for e in waived.order_by("pk")] == [True, True]


def test_a_relief_above_the_approvers_limit_is_refused_with_the_limit(world, user, settings):
    from django.contrib.auth.models import Group

    from baogong.orgs.choices import ApprovalKind, Role
    from baogong.orgs.errors import OverApprovalLimit
    from baogong.orgs.models import ApprovalLimit

    settings.BAOGONG_RELIEF_THREE_PERSON_FROM = Decimal("10000000")
    officer, commander = user("property"), user("commander")
    ApprovalLimit.objects.create(
        organisation=world.owner,
        kind=ApprovalKind.RELIEF,
        group=Group.objects.get(name=Role.COMMAND_CENTRE),
        max_amount=1000,
    )
    application = actions.submit_application(world.lease(), as_of=JUNE, actor=SYSTEM)
    upload_all(application)
    actions.handle_application(application, actor=officer)
    actions.check_application(application, actor=commander)
    with pytest.raises(OverApprovalLimit) as refused:
        actions.approve_application(application, on=JUNE, actor=commander)
    assert "amount" in refused.value.details and "¥1,000.00" in refused.value.details["amount"][0]
    application.refresh_from_db()
    assert application.status == "checked" and not ReliefCredit.objects.exists()
    ApprovalLimit.objects.update(max_amount=10_000_000)
    assert actions.approve_application(application, on=JUNE, actor=commander).status == "approved"
