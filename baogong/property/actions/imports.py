"""Tenants and leases from an Excel workbook: every row valid, or nothing is written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core.audit import Actor
from baogong.core.excel import (
    Column,
    ImportFailed,
    normalise_text,
    parse_date,
    parse_decimal,
    parse_int,
    raise_if_errors,
    read_rows,
)
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import user_scope
from baogong.property import rules
from baogong.property.actions.onboarding import LeaseRow, create_leases_many
from baogong.property.actions.tenants import TENANT_FIELDS
from baogong.property.errors import LeaseInvalid, LeasesInvalid
from baogong.property.models import ZERO, Lease, Property, Tenant, Unit


# --- Excel import of tenants and leases -------------------------------------------------------------
def _yes(value: Any) -> bool:
    text = normalise_text(value).lower()
    if text in ("是", "y", "yes", "true", "1"):
        return True
    if text in ("否", "n", "no", "false", "0", ""):
        return False
    raise ValueError(_("answer 是 or 否"))


def _tenant_kind(value: Any) -> str:
    text = normalise_text(value)
    mapping = {"企业": rules.ENTERPRISE, "个体工商户": rules.INDIVIDUAL_BUSINESS}
    if text in rules.TENANT_TYPES:
        return text
    if text in mapping:
        return mapping[text]
    raise ValueError(_("企业 or 个体工商户"))


def _industry(value: Any) -> str:
    text = normalise_text(value)
    if text not in rules.INDUSTRIES:
        raise ValueError(_("unknown industry"))
    return text


def _period(value: Any) -> int:
    months = parse_int(value)
    if months not in rules.PERIOD_MONTHS:
        raise ValueError(_("1, 3, 6 or 12"))
    return months


def _rent_free(value: Any) -> list[tuple[dt.date, dt.date]]:
    spans = []
    for part in normalise_text(value).replace("；", ";").split(";"):
        if not part.strip():
            continue
        pieces = part.replace("～", "~").split("~")
        if len(pieces) != 2:
            raise ValueError(_("periods as YYYY-MM-DD~YYYY-MM-DD; separated by ;"))
        start, end = parse_date(pieces[0]), parse_date(pieces[1])
        if end < start:
            raise ValueError(_("a rent-free period ends before it starts"))
        spans.append((start, end))
    return spans


def _money(value: Any) -> Decimal:
    amount = parse_decimal(value)
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("an amount in yuan with at most 2 decimals"))
    return amount


LEASE_COLUMNS = [
    Column("tenant_code", "租户编码 / tenant code", required=True, example="T-BY-001"),
    Column("tenant_name", "租户名称 / tenant name", required=True, example="上海宝山小超市有限公司"),
    Column("kind", "类型 / kind (企业/个体工商户)", required=True, parse=_tenant_kind, example="企业"),
    Column("uscc", "统一社会信用代码 / USCC", example="91310113MA1G00011J"),
    Column("operator_name", "经营者 / operator", example=""),
    Column("operator_id_number", "经营者身份证号 / operator ID", example=""),
    Column("industry", "行业 / industry", parse=_industry, example="零售业"),
    Column("employees", "从业人员 / employees", parse=parse_int, example="12"),
    Column("revenue_wan", "营业收入(万元) / revenue (10k yuan)", parse=parse_decimal, example="150"),
    Column("assets_wan", "资产总额(万元) / assets (10k yuan)", parse=parse_decimal, example="80"),
    Column("is_state_owned", "国有企业 / state-owned (是/否)", parse=_yes, example="否"),
    Column("is_subsidiary_of_large_group", "大中型集团下属 / group subsidiary (是/否)", parse=_yes, example="否"),
    Column("contact_name", "联系人 / contact", example="张三"),
    Column("contact_phone", "联系电话 / phone", example="13800000000"),
    Column("lease_code", "合同编号 / lease code", required=True, example="L-BY-001"),
    Column("property_code", "房产编码 / property code", required=True, example="P-BY-01"),
    Column("units", "房屋单元 / units (逗号分隔)", required=True, example="101"),
    Column("parent_lease", "转租自合同 / sub-let from lease", example=""),
    Column("rent", "每期租金(元) / rent per period", required=True, parse=_money, example="30000.00"),
    Column("period_months", "付款周期(月) / period (months)", required=True, parse=_period, example="3"),
    Column("start", "起租日 / start", required=True, parse=parse_date, example="2022-01-01"),
    Column("end", "到期日 / end", required=True, parse=parse_date, example="2024-12-31"),
    Column("deposit", "押金(元) / deposit", parse=_money, example="10000.00"),
    Column("rent_free", "免租期 / rent-free (起~止;…)", parse=_rent_free, example="2022-01-01~2022-01-31"),
]
# A lease row carries the tenant's details but names it by its own columns (organisation, code, name).
TENANT_IMPORT_FIELDS = [
    f for f in TENANT_FIELDS if f not in {"organisation", "code", "name", "refused_epidemic_control"}
]


def _flatten(details: Any) -> list[tuple[str, str]]:
    if isinstance(details, dict):
        return [(str(k), "; ".join(str(m) for m in (v if isinstance(v, list) else [v]))) for k, v in details.items()]
    return [("", str(details))]


@retry_on_conflict
def import_leases(file: Any, *, actor: Actor) -> list[Lease]:
    """Tenants and leases from a workbook: every row valid, or nothing is written. The rows are
    checked as one batch (``create_leases_many``): the same checks and row report as one by one."""
    rows, errors = read_rows(file, LEASE_COLUMNS)
    unreadable = {e["row"] for e in errors}
    if not rows:
        raise ImportFailed(_("The file has no data rows."), details={"rows": []})
    scope = user_scope(actor)
    properties = {p.code: p for p in Property.objects.filter(code__in={v.get("property_code") for _n, v in rows})}
    with transaction.atomic(durable=True):
        readable: list[tuple[int, dict[str, Any]]] = []
        for number, values in rows:
            if not values.get("property_code"):
                continue
            prop = properties.get(values["property_code"])
            if prop is None:
                errors.append({"row": number, "field": "property_code", "message": _("unknown property code")})
            elif not scope.allows(organisation_id=prop.owner_id):
                errors.append({"row": number, "field": "property_code", "message": _("not one of your organisations")})
            elif number not in unreadable:
                readable.append((number, values))
        batch = _lease_rows(readable, properties, scope, errors)
        made: list[Lease] = []
        try:
            made = create_leases_many([row for _n, row in batch], actor=actor)
        except LeasesInvalid as exc:
            for index, error in exc.rows.items():
                for field, message in _flatten(error.details):
                    errors.append({"row": batch[index][0], "field": field, "message": message})
        errors.sort(key=lambda e: (e["row"], str(e["field"])))
        raise_if_errors(errors)
    return made


def _lease_rows(
    rows: list[tuple[int, dict[str, Any]]], properties: dict[str, Property], scope: Any, errors: list[dict[str, Any]]
) -> list[tuple[int, LeaseRow]]:
    """The batch of the readable rows: their tenant (stored, or described by the row), units and
    head lease looked up for all rows at once. A stored tenant outside the user's scope is
    reported here (``errors``) and its row left out."""
    codes = {n: [c.strip() for c in str(v["units"]).replace("，", ",").split(",") if c.strip()] for n, v in rows}
    units = {
        (u.property_id, u.code): u
        for u in Unit.objects.filter(
            property__in={properties[v["property_code"]].pk for _n, v in rows},
            code__in={c for n, _v in rows for c in codes[n]},
        ).select_related("property")
    }
    stored = {t.code: t for t in Tenant.objects.filter(code__in={v.get("tenant_code") for _n, v in rows})}
    heads = {lease.code: lease for lease in Lease.objects.filter(code__in={v.get("parent_lease") for _n, v in rows})}
    batch: list[tuple[int, LeaseRow]] = []
    for number, values in rows:
        prop = properties[values["property_code"]]
        tenant = stored.get(values["tenant_code"])
        if tenant is not None and not scope.allows(organisation_id=tenant.organisation_id):
            message = _("code belongs to a tenant outside your scope")
            errors.append({"row": number, "field": "tenant_code", "message": message})
            continue
        found = sorted({units[(prop.pk, c)] for c in codes[number] if (prop.pk, c) in units}, key=lambda u: u.code)
        refused = None
        if len(found) != len(set(codes[number])):
            refused = LeaseInvalid(details={"units": [_("unknown unit of this property")]})
        head = heads.get(values.get("parent_lease") or "")
        if head is not None and head.organisation_id != prop.owner_id:
            head = None
        data = {k: values[k] for k in TENANT_IMPORT_FIELDS if values.get(k) is not None}
        lease = {
            "code": values["lease_code"],
            "organisation": prop.owner,
            "tenant": tenant,
            "parent": head,
            "rent": values["rent"],
            "period_months": values["period_months"],
            "start": values["start"],
            "end": values["end"],
            "deposit": values.get("deposit") or ZERO,
        }
        row = LeaseRow(
            lease=lease,
            units=found,
            rent_free=values.get("rent_free") or [],
            tenant=None
            if tenant is not None
            else {**data, "organisation": prop.owner, "code": values["tenant_code"], "name": values["tenant_name"]},
            parent_code=values["parent_lease"] if values.get("parent_lease") and head is None else "",
            refused=refused,
        )
        batch.append((number, row))
    return batch
