"""Row locks keep simultaneous submissions and approvals from doubling relief (PostgreSQL)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from baogong.core.errors import DomainError
from baogong.core.models import AuditEvent
from baogong.core.tests.threads import run_threads
from baogong.property import actions
from baogong.property.errors import LeaseInvalid, LeasesInvalid
from baogong.property.models import Lease, ReliefApplication, ReliefCredit

from .conftest import SYSTEM, office_head, upload_all

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
JUNE = dt.date(2022, 6, 1)


@pytest.fixture(autouse=True)
def policies(db):
    # transactional tests empty every table afterwards, the seeded policies included
    actions.load_default_policies(actor=SYSTEM)


def run_together(n, work):
    results = []

    def body(_i):
        try:
            results.append(("ok", work()))
        except DomainError as exc:
            results.append(("refused", exc.code))

    assert run_threads(n, body) == []
    return results


def test_simultaneous_submissions_make_one_application(world):
    lease = world.lease()
    results = run_together(4, lambda: actions.submit_application(lease, as_of=JUNE, actor=SYSTEM).pk)
    assert sorted(r[0] for r in results) == ["ok", "refused", "refused", "refused"]
    assert {r[1] for r in results if r[0] == "refused"} == {"application_exists"}
    assert ReliefApplication.objects.filter(lease=lease).count() == 1


def test_simultaneous_approvals_give_relief_once(world, user):
    officer = user("property")
    application = actions.submit_application(world.lease(), as_of=JUNE, actor=SYSTEM)
    upload_all(application)
    actions.handle_application(application, actor=officer)
    actions.check_application(application, actor=user("commander"))
    head = office_head()  # 经办 ≠ 审核 ≠ 批准 (issue 19.4)
    results = run_together(3, lambda: actions.approve_application(application, on=JUNE, actor=head).status)
    assert sorted(results) == [
        ("ok", "approved"),
        ("refused", "application_wrong_state"),
        ("refused", "application_wrong_state"),
    ]
    assert list(ReliefCredit.objects.values_list("amount", flat=True)) == [Decimal("60000.00")]


def test_leases_of_one_unit_made_together_let_it_once(world):
    """Eight leases of one stall at once, per row and in batches: the unit locks make them take
    turns, so one is made and seven get the field error (none a deadlock or a 500)."""
    from .test_double_let import clash

    assert connection.vendor == "postgresql"
    stall = world.units["S01"]
    answers = []

    def body(i):
        data = {
            "code": f"L-T{i}",
            "organisation": world.owner,
            "tenant": world.shop,
            "rent": Decimal("9000.00"),
            "period_months": 3,
            "start": dt.date(2022, 1 + i, 1),
            "end": dt.date(2023, 12, 31),
        }
        try:
            if i % 2:
                actions.create_leases([actions.LeaseRow(lease=data, units=[stall])], actor=SYSTEM)
            else:
                actions.create_lease(data, units=[stall], actor=SYSTEM)
            answers.append("made")
        except LeasesInvalid as exc:
            answers.extend(e.details for e in exc.rows.values())
        except LeaseInvalid as exc:
            answers.append(exc.details)

    assert run_threads(8, body) == []
    (made,) = Lease.objects.filter(units=stall)
    assert sorted(answers, key=repr) == sorted(["made", *[{"units": [clash("S01", made.code)]}] * 7], key=repr)


def test_early_ends_of_one_lease_at_once_take_turns(world):
    """Four early ends of one lease at once: the lease lock makes them take turns, so each reads the
    end the one before wrote (the audit's befores chain), the contract's end is kept, and a later
    day after an earlier one is refused with the field error (none a deadlock or a 500)."""
    assert connection.vendor == "postgresql"
    lease = world.lease("L-1", units=("101",))
    days = [dt.date(2023, 3, 31), dt.date(2023, 6, 30), dt.date(2023, 9, 30), dt.date(2023, 12, 31)]
    results = run_together(
        4, lambda: actions.end_lease(lease, on=days.pop(), reason="租户撤场", actor=SYSTEM).end.isoformat()
    )
    assert all(r[0] == "ok" or r[1] == "lease_invalid" for r in results)
    lease.refresh_from_db()
    assert (lease.end.isoformat(), lease.original_end) == (
        min(r[1] for r in results if r[0] == "ok"),
        dt.date(2024, 12, 31),
    )
    events = AuditEvent.objects.filter(verb="end_lease").order_by("pk")
    ends = ["2024-12-31", *(e.after["end"] for e in events)]
    assert [e.before["end"] for e in events] == ends[:-1]
    assert ends == sorted(ends, reverse=True) and ends[-1] == lease.end.isoformat()
