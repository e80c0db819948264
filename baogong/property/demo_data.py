"""Demo premises of the group's enterprises in Baoshan, their tenants and leases (idempotent).

The lead wires :func:`load_property_demo` into ``baogong bootstrap`` / the scenario. It also links
the demo user ``tenant`` to one tenant so the portal shows its leases.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from baogong.core.audit import SystemActor
from baogong.core.identifiers import ID_CHECK, ID_WEIGHTS, org_code_check_char, uscc_check_char
from baogong.orgs.models import AdministrativeArea, Organisation
from baogong.property import actions
from baogong.property.models import Lease, Property, Tenant

SYSTEM = SystemActor("property demo")
D = dt.date

# (code, name, owner org, area code, address, use, units [(code, m², use)])
PROPERTIES = [
    (
        "P-BY-01",
        "北翼商城",
        "BYJT",
        "310113003",
        "友谊路街道友谊路108号",
        "商业",
        [("101", "80"), ("102", "60"), ("103", "50"), ("201", "300")],  # 103: vacant, to let
    ),
    ("P-HKL-01", "沪客隆杨行门店楼", "HKL", "310113103", "杨行镇杨泰路200号", "商业", [("A1", "45"), ("A2", "52")]),
    (
        "P-NF-01",
        "南方供销大场综合楼",
        "NFGS",
        "310113102",
        "大场镇场中路300号",
        "商业",
        [("1F-01", "120"), ("1F-02", "95")],
    ),
    ("P-HS-01", "华森吴淞沿街商铺", "HSGS", "310113007", "吴淞街道淞兴路50号", "商业", [("01", "38"), ("02", "41")]),
]


def _uscc(n: int) -> str:
    org = f"MA1H{n:04d}"
    first17 = "91310113" + org + org_code_check_char(org)
    return first17 + uscc_check_char(first17)


def _idcard(n: int) -> str:
    first17 = f"31011319800{n % 9 + 1}01{n:03d}"[:17]
    return first17 + ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


# (code, name, kind, industry, employees, revenue, assets, extra)
TENANTS: list[tuple[str, str, str, str, int | None, str | None, str | None, dict[str, Any]]] = [
    ("T-BY-001", "上海宝山小超市有限公司", "enterprise", "零售业", 12, "150", "80", {}),
    ("T-BY-002", "老王面馆", "individual_business", "餐饮业", None, None, None, {"operator_name": "王建国"}),
    ("T-BY-003", "上海友谊商务服务有限公司", "enterprise", "租赁和商务服务业", 30, "900", "1500", {}),
    (
        "T-BY-004",
        "宝山快印图文店",
        "individual_business",
        "其他未列明行业",
        None,
        None,
        None,
        {"operator_name": "陈小红"},
    ),
    ("T-HKL-001", "杨行便民菜店", "individual_business", "零售业", None, None, None, {"operator_name": "李春花"}),
    ("T-HKL-002", "上海杨泰餐饮管理有限公司", "enterprise", "餐饮业", 60, "2500", "900", {}),
    ("T-NF-001", "上海大场软件科技有限公司", "enterprise", "软件和信息技术服务业", 25, "800", "300", {}),
    ("T-HS-001", "吴淞水产批发部", "enterprise", "批发业", 8, "1200", "200", {}),
]

# (code, tenant, property, units, rent, period, start, end, parent, rent-free)
LEASES: list[tuple[str, str, str, list[str], str, int, dt.date, dt.date, str | None, list[tuple[dt.date, dt.date]]]] = [
    ("L-BY-001", "T-BY-001", "P-BY-01", ["101"], "30000.00", 3, D(2021, 7, 1), D(2024, 6, 30), None, []),
    (
        "L-BY-002",
        "T-BY-002",
        "P-BY-01",
        ["102"],
        "8000.00",
        1,
        D(2022, 7, 1),
        D(2025, 6, 30),
        None,
        [(D(2022, 7, 1), D(2022, 7, 31))],
    ),
    ("L-BY-003", "T-BY-003", "P-BY-01", ["201"], "90000.00", 6, D(2020, 1, 1), D(2025, 12, 31), None, []),
    ("L-BY-004", "T-BY-004", "P-BY-01", ["201"], "12000.00", 1, D(2022, 1, 1), D(2023, 12, 31), "L-BY-003", []),
    ("L-HKL-001", "T-HKL-001", "P-HKL-01", ["A1"], "6500.00", 1, D(2021, 3, 1), D(2024, 2, 29), None, []),
    ("L-HKL-002", "T-HKL-002", "P-HKL-01", ["A2"], "21000.00", 3, D(2022, 4, 1), D(2025, 3, 31), None, []),
    ("L-NF-001", "T-NF-001", "P-NF-01", ["1F-01", "1F-02"], "120000.00", 12, D(2021, 1, 1), D(2023, 12, 31), None, []),
    ("L-HS-001", "T-HS-001", "P-HS-01", ["01", "02"], "15000.00", 3, D(2022, 2, 15), D(2022, 11, 14), None, []),
]


def load_property_demo(*, tenant_username: str = "tenant") -> dict[str, int]:
    """Create the demo premises, tenants and leases once; pay the rent due by 2022-05-31."""
    counts = {"properties": 0, "tenants": 0, "leases": 0}
    actions.load_default_policies(actor=SYSTEM)
    for code, name, owner, area, address, use, units in PROPERTIES:
        if Property.objects.filter(code=code).exists():
            continue
        actions.create_property(
            {
                "code": code,
                "name": name,
                "owner": Organisation.objects.get(code=owner),
                "area": AdministrativeArea.objects.filter(code=area).first(),
                "address": address,
                "use": use,
                "is_state_owned": True,
            },
            [{"code": u, "floor_area": Decimal(m2), "use": use} for u, m2 in units],
            actor=SYSTEM,
        )
        counts["properties"] += 1
    owners = {lease[1]: Property.objects.get(code=lease[2]).owner for lease in LEASES}
    for n, (code, name, kind, industry, employees, revenue, assets, extra) in enumerate(TENANTS, start=1):
        if Tenant.objects.filter(code=code).exists():
            continue
        data: dict[str, Any] = {
            "organisation": owners[code],
            "code": code,
            "name": name,
            "kind": kind,
            "industry": industry,
            "employees": employees,
            "revenue_wan": Decimal(revenue) if revenue else None,
            "assets_wan": Decimal(assets) if assets else None,
            "contact_name": extra.get("operator_name", "联系人"),
            "contact_phone": f"1380000{n:04d}",
            **extra,
        }
        if kind == "enterprise":
            data["uscc"] = _uscc(n)
        else:
            data["operator_id_number"] = _idcard(n)
        actions.create_tenant(data, actor=SYSTEM)
        counts["tenants"] += 1
    for code, tenant, prop_code, unit_codes, rent, period, start, end, parent, rent_free in LEASES:
        if Lease.objects.filter(code=code).exists():
            continue
        prop = Property.objects.get(code=prop_code)
        lease = actions.create_lease(
            {
                "code": code,
                "organisation": prop.owner,
                "tenant": Tenant.objects.get(code=tenant),
                "parent": Lease.objects.get(code=parent) if parent else None,
                "rent": Decimal(rent),
                "period_months": period,
                "start": start,
                "end": end,
                "deposit": Decimal(rent),
            },
            units=list(prop.units.filter(code__in=unit_codes)),
            rent_free=rent_free,
            actor=SYSTEM,
        )
        for invoice in actions.issue_invoices(lease, up_to=D(2022, 5, 31), actor=SYSTEM):
            actions.record_payment(invoice, invoice.amount, paid_on=invoice.due_date, actor=SYSTEM)
        counts["leases"] += 1
    user = get_user_model().objects.filter(username=tenant_username).first()
    shop = Tenant.objects.get(code="T-BY-001")
    if user is not None and not shop.portal_users.filter(pk=user.pk).exists():
        actions.link_portal_user(shop, user, actor=SYSTEM)
    return counts
