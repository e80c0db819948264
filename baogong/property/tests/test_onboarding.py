"""Many tenants and leases at once (``create_leases``, the Excel import) give what ``create_tenant``
and ``create_lease`` give one by one: the same records, the same audit, the same refusals, and a
number of queries that does not grow with the rows (issue 21 point 4)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baogong.core.errors import DomainError
from baogong.core.models import AuditEvent
from baogong.orgs.models import Organisation
from baogong.property import actions
from baogong.property.errors import LeasesInvalid
from baogong.property.models import Lease, RentFreePeriod, Tenant, Unit

from .conftest import SYSTEM, make_idcard, make_uscc
from .test_views import ROW, workbook

D = dt.date
VOLATILE = {"id", "created_at", "updated_at", "tenant_id", "parent_id", "document"}


def _tenant(code, n, **extra):
    return {
        "organisation": Organisation.objects.get(code="BYJT"),
        "code": code,
        "name": f"商户{n}",
        "kind": "individual_business",
        "operator_name": f"经营者{n}",
        "operator_id_number": make_idcard(n),
        "industry": "零售业",
        **extra,
    }


def _stalls(tag):
    """The five stalls of a tag's rows (a unit is let once at a time: each run has its own)."""
    first = 1 + 5 * (ord(tag[-1]) - ord("A"))
    return [f"S{n:02d}" for n in range(first, first + 5)]


def _rows(world, tag):
    """An individual business, an enterprise, a second lease of the first tenant, a sub-lease of an
    earlier row's lease to a stored tenant, one with rent-free months; each lease on its own stalls
    (the sub-lease on its head lease's)."""
    lease = {
        "organisation": world.owner,
        "rent": Decimal("9000.00"),
        "period_months": 3,
        "start": D(2022, 1, 1),
        "end": D(2023, 12, 31),
    }
    shop = {
        "organisation": world.owner,
        "code": f"T-{tag}E",
        "name": "宝山新商贸有限公司",
        "kind": "enterprise",
        "uscc": make_uscc(40 + len(tag)),
        "industry": "批发业",
        "employees": 8,
        "revenue_wan": Decimal("900"),
        "assets_wan": Decimal("100"),
    }
    units = [world.units[code] for code in _stalls(tag)]
    return [
        actions.LeaseRow(lease={**lease, "code": f"L-{tag}1"}, units=[units[0]], tenant=_tenant(f"T-{tag}I", 11)),
        actions.LeaseRow(
            lease={**lease, "code": f"L-{tag}2", "deposit": Decimal("500.00")}, units=[units[1]], tenant=shop
        ),
        actions.LeaseRow(
            lease={**lease, "code": f"L-{tag}3"}, units=[units[3], units[2]], tenant=_tenant(f"T-{tag}I", 11)
        ),
        actions.LeaseRow(
            lease={**lease, "code": f"L-{tag}4", "tenant": world.noodles, "period_months": 1},
            units=[units[1]],
            parent_code=f"L-{tag}2",
        ),
        actions.LeaseRow(
            lease={**lease, "code": f"L-{tag}5", "tenant": world.shop},
            units=[units[4]],
            rent_free=[(D(2022, 1, 1), D(2022, 2, 28))],
        ),
    ]


def _one_by_one(rows, actor=SYSTEM):
    """The per-row path, as the import went before: ``create_tenant`` (once per code) and
    ``create_lease`` for each row, a refused row leaving the others; ``{row index: error}``."""
    from django.utils.translation import gettext as _

    from baogong.property.errors import LeaseInvalid

    tenants, leases, refused = {}, {}, {}
    for index, row in enumerate(rows):
        try:
            tenant = row.lease.get("tenant")
            if tenant is None:
                code = row.tenant["code"]
                tenant = tenants.get(code) or actions.create_tenant(row.tenant, actor=actor)
                tenants[code] = tenant
            data = {**row.lease, "tenant": tenant}
            if row.parent_code:
                data["parent"] = leases.get(row.parent_code)
                if data["parent"] is None:
                    raise LeaseInvalid(details={"parent_lease": [_("unknown lease code")]})
            lease = actions.create_lease(data, units=row.units, rent_free=row.rent_free, actor=actor)
            leases[data["code"]] = lease
        except DomainError as exc:
            refused[index] = exc
    return refused


def _plain(value, tag):
    if isinstance(value, dict):
        return {k: _plain(v, tag) for k, v in value.items() if k not in VOLATILE}
    return value.replace(tag, "#") if isinstance(value, str) else value


def _stalls_named(after, tag, stall):
    after = _plain(after, tag)
    if "units" in after:
        after["units"] = [stall[pk] for pk in after["units"]]
    return after


def _state(tag):
    """The tag's tenants, leases and audit, codes and stalls named by their place (``#``, stall 0…4)."""
    codes = _stalls(tag)
    stall = {u.pk: codes.index(u.code) for u in Unit.objects.filter(property__code="P-BY-01", code__in=codes)}
    tenants = Tenant.objects.filter(code__startswith=f"T-{tag}").order_by("code")
    leases = Lease.objects.filter(code__startswith=f"L-{tag}").select_related("tenant", "parent").order_by("code")
    objects = {("tenant", str(t.pk)) for t in tenants} | {("lease", str(x.pk)) for x in leases}
    events = [
        (e.verb, e.actor_label, e.organisation_id, e.object_repr.replace(tag, "#"), _stalls_named(e.after, tag, stall))
        for e in AuditEvent.objects.filter(object_type__model__in=["tenant", "lease"]).select_related("object_type")
        if (e.object_type.model, e.object_id) in objects
    ]
    return (
        [_plain({f.attname: getattr(t, f.attname) for f in Tenant._meta.concrete_fields}, tag) for t in tenants],
        [
            (
                _plain({f.attname: getattr(x, f.attname) for f in Lease._meta.concrete_fields}, tag),
                x.tenant.code.replace(tag, "#"),
                x.parent.code.replace(tag, "#") if x.parent else None,
                sorted(stall[pk] for pk in x.units.values_list("pk", flat=True)),
                list(RentFreePeriod.objects.filter(lease=x).values_list("start", "end")),
            )
            for x in leases
        ],
        sorted(events, key=repr),
    )


def test_a_batch_gives_the_records_and_audit_of_one_by_one(world, user):
    officer = user("property")
    assert _one_by_one(_rows(world, "ZZA"), actor=officer) == {}
    made = actions.create_leases(_rows(world, "ZZB"), actor=officer)
    assert [x.code for x in made] == ["L-ZZB1", "L-ZZB2", "L-ZZB3", "L-ZZB4", "L-ZZB5"]
    assert _state("ZZA") == _state("ZZB")
    assert len(_state("ZZB")[2]) == 7  # two tenants made, five leases
    assert Lease.objects.get(code="L-ZZB4").parent.code == "L-ZZB2"


BAD = {
    "a wrong USCC": {"row": 1, "tenant": {"uscc": "91310113MA1G00011X"}},
    "no operator ID": {"row": 0, "tenant": {"operator_id_number": ""}},
    "a lease code on file": {"row": 1, "lease": {"code": "L-ON-FILE"}},
    "end before start": {"row": 0, "lease": {"end": D(2021, 12, 31)}},
    "a negative rent and a 2-month period": {"row": 4, "lease": {"rent": Decimal("-1"), "period_months": 2}},
    "a sub-lease to the head lease's tenant": {"row": 3, "lease": {"tenant": None}, "same_tenant": True},
    "units of another landlord": {"row": 4, "lease": {"organisation": "BSGX"}},
    "a tenant code twice, the second lease code taken": {"row": 2, "lease": {"code": "L-{tag}1"}},
}


def _spoil(rows, world, tag, case):
    row = rows[case["row"]]
    tenant = {**row.tenant, **case.get("tenant", {})} if row.tenant else None
    lease = {
        **row.lease,
        **{k: v.format(tag=tag) if isinstance(v, str) else v for k, v in case.get("lease", {}).items()},
    }
    if lease.get("organisation") == "BSGX":
        lease["organisation"] = Organisation.objects.get(code="BSGX")
    if case.get("same_tenant"):
        lease["tenant"] = None
        tenant = rows[1].tenant
    rows[case["row"]] = actions.LeaseRow(
        lease=lease, units=row.units, rent_free=row.rent_free, tenant=tenant, parent_code=row.parent_code
    )
    return rows


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_a_bad_row_is_refused_with_the_per_row_error_and_nothing_is_written(world, user, case):
    officer = user("property")
    world.lease("L-ON-FILE")
    expected = {
        i: (type(e), e.details)
        for i, e in _one_by_one(_spoil(_rows(world, "ZZA"), world, "ZZA", case), actor=officer).items()
    }
    assert case["row"] in expected
    counts = (Tenant.objects.count(), Lease.objects.count(), AuditEvent.objects.count())
    with pytest.raises(LeasesInvalid) as refused:
        actions.create_leases(_spoil(_rows(world, "ZZB"), world, "ZZB", case), actor=officer)
    assert {i: (type(e), e.details) for i, e in refused.value.rows.items()} == expected
    assert refused.value.details["rows"] == [{"row": i, "details": e[1]} for i, e in sorted(expected.items())]
    assert "ZZA" not in repr(expected)  # the messages name no code: the two runs compare
    assert (Tenant.objects.count(), Lease.objects.count(), AuditEvent.objects.count()) == counts


def test_every_refused_row_is_named(world, user):
    rows = _rows(world, "ZZA")
    rows = _spoil(_spoil(rows, world, "ZZA", BAD["a wrong USCC"]), world, "ZZA", BAD["end before start"])
    with pytest.raises(LeasesInvalid) as refused:
        actions.create_leases(rows, actor=user("property"))
    assert {i: set(e.details) for i, e in refused.value.rows.items()} == {0: {"end"}, 1: {"uscc"}, 3: {"parent_lease"}}
    assert not Tenant.objects.filter(code__startswith="T-ZZA").exists()


def test_a_landlord_outside_the_scope_is_refused_as_one_by_one(world, user):
    portal = user("tenant")  # a tenant's portal user: no organisation of the office's
    expected = _one_by_one(_rows(world, "ZZA")[:1], actor=portal)[0]
    with pytest.raises(LeasesInvalid) as refused:
        actions.create_leases(_rows(world, "ZZA")[:1], actor=portal)
    assert (type(refused.value.rows[0]), refused.value.rows[0].details) == (type(expected), expected.details)
    assert set(expected.details) == {"organisation"}


# --- the Excel import --------------------------------------------------------------------------
def _import_rows(count):
    """``count`` rows, every other one with two units, each on its own stalls of the market P-MKT."""
    return [
        {
            **ROW,
            "tenant_code": f"T-{n:04d}",
            "uscc": make_uscc(200 + n),
            "lease_code": f"L-{n:04d}",
            "property_code": "P-MKT",
            "units": f"{count}-{n}a,{count}-{n}b" if n % 2 else f"{count}-{n}a",
        }
        for n in range(count)
    ]


def _market(world, *counts):
    """The market whose stalls ``_import_rows(count)`` lets (a unit is let once at a time)."""
    codes = [c for count in counts for row in _import_rows(count) for c in row["units"].split(",")]
    data = {"code": "P-MKT", "name": "宝山市场", "owner": world.owner, "area": world.area, "use": "商业"}
    actions.create_property(data, [{"code": c, "floor_area": Decimal("12.00")} for c in codes], actor=SYSTEM)


def test_the_import_queries_do_not_grow_with_the_rows(world, user):
    officer = user("property")
    _market(world, 10, 200)
    counted = []
    for count in (10, 200):
        rows = _import_rows(count)
        for row in rows:
            row["tenant_code"] += f"-{count}"
            row["lease_code"] += f"-{count}"
        with CaptureQueriesContext(connection) as queries:
            actions.import_leases(workbook(rows), actor=officer)
        counted.append(len(queries))
    assert Lease.objects.filter(code__endswith="-200").count() == 200
    small, large = counted
    # the same statements for 10 rows as for 200; only SQLite's 999-parameter limit splits a bulk
    # insert of many rows into several (about one more per 50 tenants or leases)
    assert large <= small + 15, counted


def test_the_import_reports_the_rows_as_one_by_one(world, user):
    """A bad tenant hides its row's other errors; a later row of the same tenant code tries again;
    a sub-lease of an earlier row's lease to its own tenant is refused at that row."""
    from baogong.core.excel import ImportFailed

    rows = [
        {**ROW, "uscc": "91310113MA1G00011X", "units": "999"},
        {**ROW, "lease_code": "L-101", "units": "201,999"},
        {**ROW, "tenant_code": "T-200", "uscc": make_uscc(201), "lease_code": "L-200"},
        {**ROW, "tenant_code": "T-200", "uscc": make_uscc(201), "lease_code": "L-201", "parent_lease": "L-200"},
        {**ROW, "tenant_code": "T-300", "uscc": make_uscc(202), "lease_code": "L-300", "parent_lease": "L-NONE"},
    ]
    with pytest.raises(ImportFailed) as failed:
        actions.import_leases(workbook(rows), actor=user("property"))
    assert [(e["row"], e["field"]) for e in failed.value.details["rows"]] == [
        (2, "uscc"),
        (3, "units"),
        (5, "parent"),
        (6, "parent_lease"),
    ]
    assert not Tenant.objects.filter(code__in=["T-100", "T-200", "T-300"]).exists()
    assert not Lease.objects.filter(code__in=["L-100", "L-200"]).exists()


def test_premises_units_are_checked_as_one_by_one(world):
    """``create_property`` inserts the units at once: a unit code twice is refused with the error
    the unit's own check gives, and nothing is written."""
    from django.core.exceptions import ValidationError

    from baogong.property.errors import LeaseInvalid
    from baogong.property.models import Property, Unit

    with pytest.raises(ValidationError) as clash:
        Unit(property=world.building, code="101", floor_area=Decimal("10.00")).full_clean()
    units = [{"code": "101", "floor_area": Decimal("10.00")}, {"code": "101", "floor_area": Decimal("12.00")}]
    data = {"code": "P-NEW", "name": "新市场", "owner": world.owner}
    with pytest.raises(LeaseInvalid) as refused:
        actions.create_property(data, units, actor=SYSTEM)
    assert refused.value.details == clash.value.message_dict
    with pytest.raises(LeaseInvalid) as refused:
        actions.create_property(data, [{"code": "1", "floor_area": Decimal("0")}], actor=SYSTEM)
    assert set(refused.value.details) == {"floor_area"}
    assert not Property.objects.filter(code="P-NEW").exists()
    made = actions.create_property(data, [units[0], {**units[1], "code": "102"}], actor=SYSTEM)
    assert list(made.units.order_by("code").values_list("code", "floor_area")) == [
        ("101", Decimal("10.00")),
        ("102", Decimal("12.00")),
    ]
