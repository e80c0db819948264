"""Every state change of the catalog: categories, items, prices, Excel import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog import locks
from baogong.catalog.choices import CATEGORY_TREE, Storage
from baogong.catalog.errors import ItemInvalid
from baogong.catalog.models import Category, Item, ItemPrice
from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import Conflict
from baogong.core.excel import Column, ImportFailed, parse_decimal, parse_int, raise_if_errors, read_rows
from baogong.core.retry import retry_on_conflict
from baogong.orgs import governance

ITEM_FIELDS = [
    "code",
    "name",
    "name_en",
    "category",
    "unit",
    "pack_qty",
    "pack_unit",
    "pack_size",
    "weight_kg",
    "volume_m3",
    "specification",
    "standard",
    "regulatory_number",
    "reference_price",
    "shelf_life_days",
    "storage",
    "is_active",
    "gtin",
    "trace_prefix",
]


@retry_on_conflict
def ensure_categories(*, actor: Actor) -> int:
    """Create the standard category tree (idempotent); returns how many were created."""
    with transaction.atomic(durable=True):
        return _ensure_categories(actor=actor)


def _ensure_categories(*, actor: Actor) -> int:
    created = 0
    by_code = {c.code: c for c in Category.objects.all()}
    for code, name, name_en, parent_code, kind in CATEGORY_TREE:
        if code in by_code:
            continue
        category = Category.objects.create(
            code=code, name=name, name_en=name_en, parent=by_code.get(parent_code or ""), regulatory_kind=kind
        )
        by_code[code] = category
        audit.record("ensure_categories", category, actor=actor, after=audit.snapshot(category))
        created += 1
    return created


def _validate(item: Item) -> None:
    try:
        item.full_clean()
    except ValidationError as exc:
        raise ItemInvalid(details=exc.message_dict) from exc


def _clean_values(data: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k in ITEM_FIELDS and v is not None}
    for key in (
        "name_en",
        "pack_unit",
        "pack_size",
        "specification",
        "standard",
        "regulatory_number",
        "gtin",
        "trace_prefix",
    ):
        if key in values:
            values[key] = str(values[key]).strip()
    return values


@retry_on_conflict
def create_item(data: Mapping[str, Any], *, actor: Actor, price_source: str = "") -> Item:
    with transaction.atomic(durable=True):
        return _create_item(data, actor=actor, price_source=price_source)


def _create_item(data: Mapping[str, Any], *, actor: Actor, price_source: str = "") -> Item:
    item = Item(**_clean_values(data))
    _validate(item)
    item.save()
    if item.reference_price is not None:
        ItemPrice.objects.create(item=item, price=item.reference_price, source=price_source or _("item created"))
    audit.record("create_item", item, actor=actor, after=audit.snapshot(item))
    return item


@retry_on_conflict
def update_item(item: Item, data: Mapping[str, Any], *, actor: Actor, price_source: str = "") -> Item:
    with transaction.atomic(durable=True):
        return _update_item(item, data, actor=actor, price_source=price_source)


def _update_item(item: Item, data: Mapping[str, Any], *, actor: Actor, price_source: str = "") -> Item:
    """Change the item; a person's change of the reference price waits for another person
    (``orgs.governance``): it is proposed here and set only when approved (``locked.proposed_change``)."""
    locked = locks.item_for_update(item.pk)
    before = audit.snapshot(locked)
    data = dict(data)
    locked.proposed_change = None  # type: ignore[attr-defined]
    price = data.pop("reference_price", locked.reference_price)
    if governance.is_person(actor) and price != locked.reference_price:
        locked.proposed_change = governance.propose(  # type: ignore[attr-defined]
            locked, {"reference_price": price}, actor=actor, reason=price_source
        )
    else:
        data["reference_price"] = price
    for key, value in data.items():
        if key in ITEM_FIELDS and key != "code":
            setattr(locked, key, value)
    _validate(locked)
    locked.save()
    after = audit.snapshot(locked)
    changed = {k: v for k, v in after.items() if before.get(k) != v and k != "updated_at"}
    if "reference_price" in changed and locked.reference_price is not None:
        ItemPrice.objects.create(item=locked, price=locked.reference_price, source=price_source or _("item updated"))
    if changed:
        audit.record("update_item", locked, actor=actor, before={k: before[k] for k in changed}, after=changed)
    return locked


@retry_on_conflict
def record_item_price(
    item: Item, price: Decimal, *, actor: Actor, date: dt.date | None = None, source: str = ""
) -> ItemPrice:
    """Add a price to the item's history; the newest-dated price becomes its reference price."""
    if price < 0:
        raise ItemInvalid(details={"price": [_("A price cannot be negative.")]})
    with transaction.atomic(durable=True):
        locked = locks.item_for_update(item.pk)
        entry = ItemPrice.objects.create(
            item=locked, price=price, date=date or timezone.localdate(), source=source.strip()
        )
        newest = ItemPrice.objects.filter(item=locked).order_by("-date", "-id").first()
        before = {"reference_price": locked.reference_price}
        if newest is not None and newest.price != locked.reference_price:
            locked.reference_price = newest.price
            locked.save(update_fields=["reference_price", "updated_at"])
        audit.record(
            "record_item_price",
            locked,
            actor=actor,
            before=before,
            after={
                "price": entry.price,
                "date": entry.date,
                "source": entry.source,
                "reference_price": locked.reference_price,
            },
        )
        return entry


def apply_price_change(change: Any, item: Any, values: dict[str, Any], actor: Actor) -> Item:
    """Set an approved reference price (``orgs.governance``), in the approval's transaction: the
    price joins the item's history and the item's own audit trail names the change."""
    locked = locks.item_for_update(item.pk)
    was = change.before.get("reference_price")
    if (locked.reference_price is None) != (was is None) or (
        was is not None and locked.reference_price != Decimal(was)
    ):
        raise Conflict(_("The price was changed after this change was proposed; propose it again."))
    before = {"reference_price": locked.reference_price}
    locked.reference_price = values["reference_price"]
    locked.save(update_fields=["reference_price", "updated_at"])
    if locked.reference_price is not None:
        ItemPrice.objects.create(
            item=locked, price=locked.reference_price, source=_("approved change %(number)s") % {"number": change.pk}
        )
    audit.record(
        "update_item",
        locked,
        actor=actor,
        before=before,
        after={"reference_price": locked.reference_price, "change": change.pk},
    )
    return locked


# --- Excel import / export ------------------------------------------------------------------
def _category(value: Any) -> Category:
    text = str(value).strip()
    category = Category.objects.filter(code=text).first() or Category.objects.filter(name=text).first()
    if category is None:
        raise ValueError(_("unknown category"))
    return category


def _storage(value: Any) -> str:
    text = str(value).strip()
    for choice in Storage:
        if text in (choice.value, str(choice.label)) or text == {"normal": "常温", "cold_chain": "冷链"}[choice.value]:
            return choice.value
    raise ValueError(_("unknown storage condition"))


def _bool(value: Any) -> bool:
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y", "是", "启用"}:
        return True
    if text in {"0", "false", "no", "n", "否", "停用"}:
        return False
    raise ValueError(_("yes or no"))


ITEM_COLUMNS = [
    Column("code", "编码 / Code", required=True, example="MASK-N95"),
    Column("name", "名称 / Name", required=True, example="医用防护口罩(N95)"),
    Column("name_en", "英文名称 / English name", example="Medical protective mask N95"),
    Column("category", "类别 / Category", parse=_category, example="EPI-MASK"),
    Column("unit", "发放单位 / Issue unit", required=True, example="盒"),
    Column("pack_qty", "每单位含量 / Contents per unit", parse=parse_int, example=50),
    Column("pack_unit", "内包装单位 / Inner unit", example="只"),
    Column("pack_size", "内包装规格 / Inner size", example=""),
    Column("weight_kg", "单位重量kg / Weight kg", parse=parse_decimal, example="0.35"),
    Column("volume_m3", "单位体积m³ / Volume m3", parse=parse_decimal, example="0.002"),
    Column("specification", "规格 / Specification", example="头戴式 50只/盒"),
    Column("standard", "执行标准 / Standard", example="GB 19083-2010"),
    Column("regulatory_number", "批准文号或注册证号 / Regulatory number", example=""),
    Column("reference_price", "参考价 / Reference price", parse=parse_decimal, example="150.00"),
    Column("shelf_life_days", "保质期天 / Shelf life days", parse=parse_int, example=1095),
    Column("storage", "储存条件 / Storage", parse=_storage, example="normal"),
    Column("is_active", "启用 / Active", parse=_bool, example="是"),
    Column("gtin", "条码 / Barcode (GTIN)", example=""),
    Column("trace_prefix", "追溯码前7位 / Traceability code prefix", example=""),
]


@retry_on_conflict
def import_items(file: Any, *, actor: Actor, source: str = "") -> dict[str, int]:
    """Create or update items from a workbook. Any bad row: nothing is imported, every error listed."""
    rows, errors = read_rows(file, ITEM_COLUMNS)
    seen: dict[str, int] = {}
    for number, values in rows:
        code = values.get("code")
        if code and code in seen:
            errors.append(
                {"row": number, "field": "code", "message": _("duplicate of row %(row)d") % {"row": seen[code]}}
            )
        elif code:
            seen[code] = number
    raise_if_errors(errors)
    created = updated = 0
    with transaction.atomic(durable=True):
        existing = {i.code: i for i in Item.objects.filter(code__in=list(seen))}
        for number, values in rows:
            try:
                with transaction.atomic():
                    data = {k: v for k, v in values.items() if v is not None}
                    if values["code"] in existing:
                        _update_item(existing[values["code"]], data, actor=actor, price_source=source)
                        updated += 1
                    else:
                        _create_item(data, actor=actor, price_source=source)
                        created += 1
            except ItemInvalid as exc:
                for field, messages in exc.details.items():
                    for message in messages if isinstance(messages, list) else [messages]:
                        errors.append({"row": number, "field": field, "message": str(message)})
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ImportFailed(details={"rows": errors})
    return {"created": created, "updated": updated}
