"""A unit is let once at a time: a head lease may not cover a unit another head lease covers on any
day of its period, nor a sub-lease a unit another sub-lease of the same head lease covers (a stall
let twice would be paid rent relief twice). The per-row and the batch path refuse alike."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core.excel import ImportFailed
from baogong.core.models import AuditEvent
from baogong.property import actions
from baogong.property.errors import LeaseInvalid, LeasesInvalid
from baogong.property.models import Lease, Tenant

from .conftest import SYSTEM
from .test_views import ROW, workbook

D = dt.date


def clash(unit, lease):
    return _("Unit %(unit)s is already let under lease %(lease)s for part of this period.") % {
        "unit": unit,
        "lease": lease,
    }


def _data(world, code, *, start=D(2023, 6, 1), end=D(2025, 5, 31), tenant=None, parent=None):
    return {
        "code": code,
        "organisation": world.owner,
        "tenant": tenant or world.noodles,
        "parent": parent,
        "rent": Decimal("9000.00"),
        "period_months": 3,
        "start": start,
        "end": end,
    }


class _Undo(Exception):
    pass


def _both_ways(world, data, units):
    """The batch's answer and the per-row one for one lease (the batch's undone first): each
    ``None`` (made) or the refusal's details; a refusal writes nothing."""
    units = [world.units[u] for u in units]
    counts = (Lease.objects.count(), AuditEvent.objects.count())
    try:
        with transaction.atomic():
            actions.create_leases_many([actions.LeaseRow(lease=data, units=units)], actor=SYSTEM)
            raise _Undo
    except _Undo:
        batch = None
    except LeasesInvalid as exc:
        (batch,) = [e.details for e in exc.rows.values()]
    assert (Lease.objects.count(), AuditEvent.objects.count()) == counts
    try:
        actions.create_lease(data, units=units, actor=SYSTEM)
        single = None
    except LeaseInvalid as exc:
        single = exc.details
        assert (Lease.objects.count(), AuditEvent.objects.count()) == counts
    return single, batch


def test_a_unit_let_for_part_of_the_period_is_refused_alike(world):
    world.lease("L-1", units=("101",))  # 2022-01-01 .. 2024-12-31
    single, batch = _both_ways(world, _data(world, "L-2"), ("102", "101"))
    assert single == batch == {"units": [clash("101", "L-1")]}
    with pytest.raises(LeaseInvalid) as refused:
        world.lease("L-3", units=("101",), start=D(2021, 1, 1), end=D(2022, 1, 1))  # one day in common
    assert refused.value.details == {"units": [clash("101", "L-1")]}


def test_the_units_error_in_chinese_and_english(world):
    from django.utils import translation

    world.lease("L-1", units=("101",))
    for language, expected in [
        ("zh-hans", "单元 101 在此期间的部分时间已按合同 L-1 出租。"),
        ("en", "Unit 101 is already let under lease L-1 for part of this period."),
    ]:
        with translation.override(language), pytest.raises(LeaseInvalid) as refused:
            world.lease("L-2", units=("101",))
        assert refused.value.details == {"units": [expected]}


def test_a_lease_after_the_other_ends_is_made(world):
    world.lease("L-1", units=("101",))
    assert _both_ways(world, _data(world, "L-2", start=D(2025, 1, 1), end=D(2025, 12, 31)), ("101",)) == (None, None)
    assert list(Lease.objects.filter(units__code="101").order_by("code").values_list("code", flat=True)) == [
        "L-1",
        "L-2",
    ]


def test_a_sub_lease_on_its_head_leases_unit_is_made(world):
    head = world.lease("L-1", units=("101",))
    assert _both_ways(world, _data(world, "L-S", parent=head), ("101",)) == (None, None)


def test_two_overlapping_sub_leases_of_one_unit_are_refused(world):
    head = world.lease("L-H", units=("101", "102"))
    world.lease("L-S1", tenant=world.noodles, units=("101",), start=D(2022, 1, 1), end=D(2022, 12, 31), parent=head)
    assert _both_ways(world, _data(world, "L-S2", parent=head), ("101",)) == (None, None)  # after L-S1 ends
    refused = {"units": [clash("101", "L-S1"), clash("101", "L-S2")]}
    assert _both_ways(world, _data(world, "L-S3", start=D(2022, 12, 1), parent=head), ("101",)) == (refused, refused)
    assert _both_ways(world, _data(world, "L-S4", start=D(2022, 12, 1), parent=head), ("102",)) == (None, None)


def test_a_batch_row_clashing_with_an_earlier_row_is_refused_at_that_row(world):
    """Rows are checked against the rows before them, written (a head lease before its sub-lease)
    or not; one refused row leaves the others checked, and nothing is written."""
    units = world.units
    rows = [
        actions.LeaseRow(lease=_data(world, "L-1"), units=[units["101"]]),
        actions.LeaseRow(lease=_data(world, "L-2", start=D(2025, 6, 1), end=D(2026, 5, 31)), units=[units["101"]]),
        actions.LeaseRow(lease=_data(world, "L-3", end=D(2023, 6, 1)), units=[units["102"], units["101"]]),
        actions.LeaseRow(lease=_data(world, "L-4", tenant=world.shop), units=[units["101"]], parent_code="L-1"),
        actions.LeaseRow(lease=_data(world, "L-5", tenant=world.shop), units=[units["101"]], parent_code="L-1"),
        actions.LeaseRow(lease=_data(world, "L-6"), units=[units["102"]]),
    ]
    with pytest.raises(LeasesInvalid) as refused:
        actions.create_leases(rows, actor=SYSTEM)
    assert {i: e.details for i, e in refused.value.rows.items()} == {
        2: {"units": [clash("101", "L-1")]},
        4: {"units": [clash("101", "L-4")]},
    }
    assert not Lease.objects.exists()
    made = actions.create_leases([r for i, r in enumerate(rows) if i not in (2, 4)], actor=SYSTEM)
    assert [x.code for x in made] == ["L-1", "L-2", "L-4", "L-6"]


def test_an_import_row_clashing_with_an_earlier_row_is_reported_and_nothing_written(world, user):
    rows = [
        ROW,  # L-100 on 201, 2022-01-01 .. 2023-12-31
        {**ROW, "tenant_code": "T-101", "lease_code": "L-101", "units": "102"},
        {**ROW, "tenant_code": "T-102", "lease_code": "L-102", "units": "102,201", "start": "2023-12-31"},
    ]
    with pytest.raises(ImportFailed) as failed:
        actions.import_leases(workbook(rows), actor=user("property"))
    assert failed.value.details["rows"] == [
        {"row": 4, "field": "units", "message": f"{clash('102', 'L-101')}; {clash('201', 'L-100')}"}
    ]
    assert not Lease.objects.filter(code__in=["L-100", "L-101", "L-102"]).exists()
    assert not Tenant.objects.filter(code__in=["T-100", "T-101", "T-102"]).exists()
