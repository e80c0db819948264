"""Many relief applications and many applications' documents at once give what
``submit_application`` and ``upload_documents`` give one by one; one refused does not stop the
others (issue 21 point 4)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baogong.core.errors import DomainError, NotFound
from baogong.core.models import AuditEvent
from baogong.property import actions
from baogong.property.errors import (
    ApplicationExists,
    ApplicationInvalid,
    ApplicationNotEligible,
    ApplicationWrongState,
    DocumentInvalid,
)
from baogong.property.models import ApplicationDocument, ReliefApplication
from baogong.property.rules import Proof

from .conftest import SYSTEM, pdf
from .test_batch import FIELDS, JUNE, _in_arrears, _paid

D = dt.date
VOLATILE = {"id", "number", "lease_id", "created_at", "updated_at", "document"}


def _leases(world, tag):
    """A paid lease, a head lease let on (a sub-lessor: not eligible), its occupier, a tenant in
    arrears (held, but it may apply), a lease with an application already."""
    head = world.lease(f"L-{tag}H", rent="60000.00")
    taken = world.lease(f"L-{tag}T")
    actions.submit_application(taken, as_of=JUNE, actor=SYSTEM)
    return [
        _paid(world, f"L-{tag}P"),
        head,
        world.lease(
            f"L-{tag}S", tenant=world.noodles, units=world.units_of(head), rent="24000.00", period=1, parent=head
        ),
        _in_arrears(world, f"L-{tag}A"),
        taken,
    ]


def _one_by_one(leases, actor, **kwargs):
    answers = []
    for lease in leases:
        try:
            answers.append(actions.submit_application(lease, as_of=JUNE, actor=actor, **kwargs))
        except DomainError as exc:
            answers.append(exc)
    return answers


def _plain(answer):
    if isinstance(answer, DomainError):
        details = answer.details
        if isinstance(answer, ApplicationExists):  # names the application there: the lease's own
            (number,) = details["application"]
            details = ReliefApplication.objects.get(number=number).lease.code[3:]
        return type(answer), details
    answer.refresh_from_db()
    assert answer.number == f"RR{answer.submitted_on:%Y%m%d}-{answer.pk:05d}"
    (event,) = AuditEvent.objects.filter(verb="submit_application", object_id=str(answer.pk))
    after = {k: v for k, v in event.after.items() if k not in VOLATILE}
    values = [getattr(answer, f) for f in [*FIELDS, "settlement", "submitted_on", "proof_risk_area", "tenant_id"]]
    return values, answer.lease.code[3:], after, event.actor_label, event.organisation_id


def test_a_batch_gives_what_one_by_one_gives(world, user):
    officer = user("property")
    single = _one_by_one(_leases(world, "A"), officer)
    batch = actions.submit_applications(_leases(world, "B"), as_of=JUNE, actor=officer)
    assert [_plain(a) for a in single] == [_plain(b) for b in batch]
    kinds = [type(b) for b in batch]
    assert kinds == [ReliefApplication, ApplicationNotEligible, ReliefApplication, ReliefApplication, ApplicationExists]


def test_proofs_and_refunds_as_one_by_one(world, user):
    officer = user("property")
    april = D(2022, 4, 10)  # the March policy: one proof adds months
    a, b = world.lease("L-A1"), world.lease("L-B1")
    one = actions.submit_application(a, as_of=april, settlement="refund", proof=Proof(risk_area=True), actor=officer)
    (other,) = actions.submit_applications(
        [b], as_of=april, settlement="refund", proofs={b.pk: Proof(risk_area=True)}, actor=officer
    )
    assert _plain(one)[0] == _plain(other)[0]
    assert other.months > 0 and other.proof_risk_area


def test_the_same_lease_twice_is_one_application(world, user):
    lease = world.lease("L-1")
    first, second = actions.submit_applications([lease, lease], as_of=JUNE, actor=user("property"))
    assert isinstance(first, ReliefApplication)
    assert isinstance(second, ApplicationExists) and second.details == {"application": [first.number]}
    assert ReliefApplication.objects.filter(lease=lease).count() == 1


def test_refusals_for_every_lease_write_nothing(world, user):
    leases = [world.lease("L-1"), world.lease("L-2", tenant=world.noodles, units=("102",))]
    before = (ReliefApplication.objects.count(), AuditEvent.objects.count())
    answers = actions.submit_applications(leases, as_of=D(2021, 6, 1), actor=user("property"))
    assert [type(a) for a in answers] == [ApplicationInvalid, ApplicationInvalid]
    assert set(answers[0].details) == {"as_of"}
    assert [type(a) for a in actions.submit_applications(leases, as_of=JUNE, actor=user("tenant"))] == [NotFound] * 2
    assert (ReliefApplication.objects.count(), AuditEvent.objects.count()) == before
    with pytest.raises(ApplicationInvalid):
        actions.submit_applications(leases, as_of=JUNE, settlement="cash", actor=SYSTEM)


def test_a_batch_reads_once_for_all_its_leases(world, user):
    officer = user("property")
    actions.submit_applications([world.lease("L-W")], as_of=JUNE, actor=officer)  # the user's scope, cached
    few = [world.lease(f"L-F{n}") for n in range(2)]
    many = [world.lease(f"L-M{n}") for n in range(12)]
    counted = []
    for leases in (few, many):
        with CaptureQueriesContext(connection) as queries:
            actions.submit_applications(leases, as_of=JUNE, actor=officer)
        counted.append(len(queries))
    assert counted[0] == counted[1]


# --- documents ------------------------------------------------------------------------------------
def _documents(application):
    rows = application.documents.order_by("kind", "original_name").values_list("kind", "original_name", "size")
    events = sorted(
        (
            (e.verb, {k: v for k, v in e.after.items() if k != "document"}, e.actor_label)
            for e in AuditEvent.objects.filter(verb="upload_document", object_id=str(application.pk))
        ),
        key=repr,
    )
    return list(rows), events


def test_documents_of_many_applications_as_one_by_one(world, user):
    officer = user("property")
    leases = [world.lease("L-1"), world.lease("L-2", tenant=world.noodles)]
    single = [actions.submit_application(lease, as_of=JUNE, actor=officer) for lease in leases]
    others = [world.lease("L-3"), world.lease("L-4", tenant=world.noodles)]
    batch = actions.submit_applications(others, as_of=JUNE, actor=officer)
    decided = actions.submit_application(world.lease("L-5"), as_of=JUNE, actor=officer)
    actions.reject_application(decided, reason="不在政策范围内", actor=officer)
    files = [[("application", pdf("a.pdf")), ("lease", pdf("lease.pdf"))], [("business_licence", pdf("b.pdf"))]]
    for application, uploads in zip(single, files, strict=True):
        actions.upload_documents(application, uploads, actor=officer)
    files = [[("application", pdf("a.pdf")), ("lease", pdf("lease.pdf"))], [("business_licence", pdf("b.pdf"))]]
    bad = [("lease", pdf("lease.exe"))]
    answers = actions.upload_documents_many(
        [(batch[0], files[0]), (decided, [("application", pdf())]), (batch[1], files[1]), (single[0], bad)],
        actor=officer,
    )
    assert [type(a) for a in answers] == [list, ApplicationWrongState, list, DocumentInvalid]
    assert [_documents(a) for a in single] == [_documents(b) for b in batch]
    assert not ApplicationDocument.objects.filter(application=decided).exists()
    assert ApplicationDocument.objects.filter(application=single[0]).count() == 2  # the bad file: none stored
