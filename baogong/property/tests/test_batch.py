"""The bulk paths of the relief office give what the per-record actions give: batch review and
the shared-read quotes (issue 21 point 4)."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model

from baogong.core.models import AuditEvent
from baogong.property import actions, queries
from baogong.property.models import ReliefApplication, ReliefCredit, Tenant
from baogong.property.rules import Proof

from .conftest import SYSTEM, make_idcard, office_head, upload_all

D = dt.date
JUNE = D(2022, 6, 1)
APRIL = D(2022, 4, 10)
FIELDS = [
    "status",
    "size_class",
    "months",
    "covered_days",
    "monthly_rent",
    "quoted_amount",
    "approved_amount",
    "reasons",
    "decision_note",
    "handled_by_id",
    "checked_by_id",
]


def _paid(world, code, **kwargs):
    lease = world.lease(code, **kwargs)
    for invoice in actions.issue_invoices(lease, up_to=JUNE, actor=SYSTEM):
        actions.record_payment(invoice, invoice.amount, paid_on=invoice.due_date, actor=SYSTEM)
    return lease


def _late_payer(world):
    found = Tenant.objects.filter(code="T-LATE").first()
    return found or actions.create_tenant(
        {
            "organisation": world.owner,
            "code": "T-LATE",
            "name": "迟付商行",
            "kind": "individual_business",
            "operator_name": "赵六",
            "operator_id_number": make_idcard(7),
            "industry": "零售业",
        },
        actor=SYSTEM,
    )


def _in_arrears(world, code):
    lease = world.lease(code, tenant=_late_payer(world))
    first, _second = actions.issue_invoices(lease, up_to=JUNE, actor=SYSTEM)
    actions.record_payment(first, first.amount, paid_on=D(2022, 1, 5), actor=SYSTEM)
    return lease


def _applications(world, suffix):
    """A paid lease (a credit note), a refund on paid rent, a tenant in arrears (held at approval),
    one without its documents (refused at 经办), a sub-lease's occupier."""
    head = world.lease(f"L-H{suffix}", rent="60000.00")
    made = [
        actions.submit_application(_paid(world, f"L-P{suffix}"), as_of=JUNE, actor=SYSTEM),
        actions.submit_application(
            _paid(world, f"L-R{suffix}", tenant=world.noodles),
            as_of=APRIL,
            settlement="refund",
            proof=Proof(risk_area=True),
            actor=SYSTEM,
        ),
        actions.submit_application(_in_arrears(world, f"L-A{suffix}"), as_of=JUNE, actor=SYSTEM),
        actions.submit_application(
            world.lease(
                f"L-S{suffix}", tenant=world.noodles, units=world.units_of(head), rent="24000.00", period=1, parent=head
            ),
            as_of=JUNE,
            actor=SYSTEM,
        ),
    ]
    for application in made:
        upload_all(application)
    made.append(actions.submit_application(world.lease(f"L-N{suffix}"), as_of=JUNE, actor=SYSTEM))
    return made


def _state(application):
    application.refresh_from_db()
    credits = list(
        ReliefCredit.objects.filter(application=application)
        .order_by("pk")
        .values_list("kind", "amount", "applied", "is_top_up")
    )
    events = [
        (e.verb, {k: v for k, v in (e.after or {}).items() if k != "credits"}, e.before, e.actor_id)
        for e in AuditEvent.objects.filter(object_type__model="reliefapplication", object_id=str(application.pk))
        .exclude(verb__in=["submit_application", "upload_document"])
        .order_by("at", "pk")
    ]
    return [getattr(application, f) for f in FIELDS], credits, events


def test_batch_review_gives_what_the_single_steps_give(world, user):
    officer, commander, head = user("property"), get_user_model().objects.get(username="commander"), office_head()
    single, batch = _applications(world, "1"), _applications(world, "2")
    for application in single:
        for step, actor in (("handle", officer), ("check", commander), ("approve", head)):
            try:
                if step == "approve":
                    actions.approve_application(application, on=JUNE, actor=actor)
                else:
                    actions.BATCH_STEPS[step](application, actor=actor)
            except Exception:  # noqa: BLE001, S112 - refused: the next application goes on
                break
    handled = actions.batch_review(batch, "handle", actor=officer)
    checked = actions.batch_review(batch, "check", actor=commander)
    approved = actions.batch_review(batch, "approve", on=JUNE, actor=head)
    assert [len(r.done) for r in (handled, checked, approved)] == [4, 4, 3]  # one refused leaves the others
    assert [n for n, _m in handled.failed] == [batch[4].number]
    assert [n for n, _m in approved.failed] == [batch[2].number, batch[4].number]  # in arrears; not checked
    for one, other in zip(single, batch, strict=True):
        assert _state(one) == _state(other)
    statuses = [a.status for a in ReliefApplication.objects.filter(pk__in=[a.pk for a in batch]).order_by("pk")]
    assert statuses == ["approved", "approved", "checked", "approved", "submitted"]


def test_batch_review_refuses_the_handler_as_checker(world, user):
    officer = user("property")
    applications = _applications(world, "1")[:2]
    actions.batch_review(applications, "handle", actor=officer)
    result = actions.batch_review(applications, "check", actor=officer)
    assert result.done == []
    assert [n for n, _m in result.failed] == [a.number for a in applications]
    assert set(
        ReliefApplication.objects.filter(pk__in=[a.pk for a in applications]).values_list("status", flat=True)
    ) == {"handled"}
    assert not AuditEvent.objects.filter(verb="check_application").exists()


def test_lease_quotes_equal_the_single_quotes(world):
    head = world.lease("L-H", rent="60000.00")
    leases = [
        head,
        world.lease("L-S", tenant=world.noodles, units=world.units_of(head), rent="24000.00", period=1, parent=head),
        _in_arrears(world, "L-A"),
        world.lease("L-F", rent_free=[(D(2022, 1, 1), D(2022, 3, 31))]),
    ]
    policy = queries.policy_in_force(APRIL)
    proofs = {leases[3].pk: Proof(sealed_or_closed=True)}
    loaded = list(type(head).objects.filter(pk__in=[x.pk for x in leases]).select_related("tenant").order_by("pk"))
    quotes = queries.lease_quotes(loaded, as_of=JUNE, proofs=proofs, policy=policy)
    for lease in leases:
        assert quotes[lease.pk] == queries.lease_quote(lease, as_of=JUNE, proof=proofs.get(lease.pk), policy=policy)
    assert [r.code for r in quotes[head.pk].reasons] == ["sublessor"]
    assert [r.code for r in quotes[leases[2].pk].reasons] == ["in_arrears"]
    assert quotes[leases[3].pk].months == 6


def test_quoted_amounts_unchanged_by_a_batch(world, user):
    """经办 and 审核 in a batch change the status and the reviewer, nothing else."""
    application = _applications(world, "1")[0]
    before = ReliefApplication.objects.filter(pk=application.pk).values("quoted_amount", "months", "reasons").get()
    actions.batch_review([application], "handle", actor=user("property"))
    after = ReliefApplication.objects.filter(pk=application.pk).values("quoted_amount", "months", "reasons").get()
    assert before == after
    assert Decimal(before["quoted_amount"]) > 0


def test_batch_approval_keeps_each_approvers_limit(world, user, settings):
    """The limits and the approver's roles are read once for a batch: an application above the
    limit is refused as alone, one within it is approved."""
    from django.contrib.auth.models import Group

    from baogong.orgs.choices import ApprovalKind, Role
    from baogong.orgs.models import ApprovalLimit

    from .conftest import upload_all

    settings.BAOGONG_RELIEF_THREE_PERSON_FROM = Decimal("10000000")
    officer, commander = user("property"), user("commander")
    group = Group.objects.get(name=Role.COMMAND_CENTRE)
    ApprovalLimit.objects.create(organisation=world.owner, kind=ApprovalKind.RELIEF, group=group, max_amount=20000)
    small = actions.submit_application(world.lease("L-1", rent="3000.00"), as_of=JUNE, actor=SYSTEM)
    large = actions.submit_application(world.lease("L-2", rent="90000.00"), as_of=JUNE, actor=SYSTEM)
    for application in (small, large):
        upload_all(application)
    actions.batch_review([small, large], "handle", actor=officer)
    actions.batch_review([small, large], "check", actor=commander)
    result = actions.batch_review([small, large], "approve", on=JUNE, actor=commander)
    assert result.done == [small.number]
    assert [n for n, _m in result.failed] == [large.number]
    assert "¥20,000.00" in result.failed[0][1]
    event = AuditEvent.objects.get(verb="approve_application", object_id=str(small.pk))
    assert event.after["approval_limit"] == "20000.00"


def test_batch_approval_records_the_relief_given_as_alone(world, user):
    """give_relief of a batch approval (recorded with the batch's events) reads as the one of an
    approval alone: the credit as stored, its application's number in the label."""
    officer, commander, head = user("property"), get_user_model().objects.get(username="commander"), office_head()
    single, batch = _applications(world, "1")[:2], _applications(world, "2")[:2]  # a credit note, a refund
    for application in single:
        actions.handle_application(application, actor=officer)
        actions.check_application(application, actor=commander)
        actions.approve_application(application, on=JUNE, actor=head)
    for step, actor in (("handle", officer), ("check", commander), ("approve", head)):
        actions.batch_review(batch, step, on=JUNE, actor=actor)

    def given(application):
        credits = {str(c.pk): c for c in ReliefCredit.objects.filter(application=application)}
        events = AuditEvent.objects.filter(verb="give_relief", object_id__in=list(credits)).order_by("pk")
        assert len(events) == len(credits) > 0
        return [(e.after, e.object_repr.replace(application.number, "#"), e.organisation_id) for e in events]

    for one, other in zip(single, batch, strict=True):
        assert given(one) == given(other)
