"""Receiving lots from a supplier (``receive``), set-based whatever the number of lines."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor, user_of
from baogong.core.models import Notification
from baogong.core.money import round_fen
from baogong.core.notify import notify
from baogong.inventory import locks
from baogong.inventory.choices import LocationKind, MoveReason, QcStatus
from baogong.inventory.errors import InvalidState, StockInvalid
from baogong.inventory.ledger import fast
from baogong.inventory.ledger.common import (
    Key,
    ReceiptLineInput,
    _actor_fields,
    _chunks,
    check_lines,
    check_site_location,
    line_errors,
    require_transaction,
    today,
)
from baogong.inventory.ledger.sql import _add_on_hand, _db_value, _insert_zero_balances, insert_rows
from baogong.inventory.locations import default_location, virtual_location
from baogong.inventory.models import Location, Lot, Receipt, ReceiptLine, StockMove
from baogong.inventory.qc_gate import ReceiptQc, resolve_receipt_qc
from baogong.orgs.models import Site


# --- receive ----------------------------------------------------------------------------------
def validate_receipt(warehouse: Site, lines: Sequence[ReceiptLineInput], qc_status: str | None) -> None:
    """Field errors of a receipt (nothing is read from the database); ``qc_status`` ``None``: as the QC gate says."""
    if qc_status is not None and qc_status not in QcStatus.values:
        raise StockInvalid(details={"qc_status": [_("Unknown QC status.")]})

    def check(line: ReceiptLineInput, e: dict[str, list[str]]) -> None:
        if line.unit_cost is None or Decimal(line.unit_cost) < 0:
            e["unit_cost"] = [_("The unit cost cannot be negative.")]
        if not line.item.is_active:
            e["item"] = [_("The item is not active.")]
        if line.expiry and line.production_date and line.expiry < line.production_date:
            e["expiry"] = [_("Expiry is before the production date.")]
        if line.location is not None:
            check_site_location(line.location, warehouse, e)
        if len((line.batch or "").strip()) > 64:
            e["batch"] = [_("At most 64 characters.")]

    check_lines(lines, check)


def receive(
    warehouse: Site,
    lines: Sequence[ReceiptLineInput],
    *,
    actor: Actor,
    reference: str = "",
    qc_status: str | None = None,
    supplier_ref: str = "",
    supplier_name: str = "",
    against_order: bool = False,
) -> Receipt:
    """Receive lots from a supplier into the warehouse (its default location unless a bin is named).

    New batches become lots with the status the QC gate gives each line (:mod:`baogong.inventory.qc_gate`:
    ``qc_status`` ``None`` holds what needs inspection as pending and releases the rest; asking for
    "released" on held goods needs QC staff). ``against_order``: the goods come against a purchase
    order (procurement), so the supplier was checked there. A known batch must keep its expiry.
    Set-based: one statement per kind of row and per 1,000 rows (lots, balances, moves, receipt
    lines), whatever the number of lines.
    """
    require_transaction()
    validate_receipt(warehouse, lines, qc_status)
    on = today()
    store = default_location(warehouse)
    supplier = virtual_location(LocationKind.SUPPLIER)
    batches = [(line.item.pk, (line.batch or "").strip() or f"R{on:%Y%m%d}") for line in lines]
    gate = resolve_receipt_qc(
        [line.item for line in lines],
        [b for _i, b in batches],
        requested=qc_status,
        actor=actor,
        supplier_ref=supplier_ref,
        supplier_name=supplier_name,
        against_order=against_order,
    )
    held = gate.held([line.item for line in lines])
    after = {
        "warehouse": warehouse.code,
        "reference": reference,
        "qc_status": gate.receipt_status,
        "held": held,
        "supplier_flags": gate.supplier_flags,
        "lines": len(lines),
        "qty": sum(line.qty for line in lines),
        "value": round_fen(sum((Decimal(line.unit_cost) * line.qty for line in lines), Decimal(0))),
    }
    if fast.enabled():
        receipt = fast.receive(
            warehouse,
            lines,
            [_lot_json(row) for row in _new_lots(lines, batches, gate).values()],
            batches=batches,
            store=store,
            supplier=supplier,
            actor=actor,
            reference=reference,
            qc_status=gate.receipt_status,
            supplier_ref=supplier_ref,
            supplier_name=supplier_name,
            after=after,
        )
    else:
        receipt = _receive_portable(
            warehouse,
            lines,
            batches,
            gate,
            store,
            supplier,
            actor=actor,
            reference=reference,
            supplier_ref=supplier_ref,
            supplier_name=supplier_name,
        )
    if held and not against_order:  # procurement's inspection list shows receipts against orders
        _notify_held(receipt, warehouse, held, gate)
    if not fast.enabled():  # the stored function wrote the event itself
        audit.record("receive_stock", receipt, actor=actor, after=after)
    return receipt


def _notify_held(receipt: Receipt, warehouse: Site, held: list[dict[str, Any]], gate: ReceiptQc) -> None:
    notify(
        _("Receipt %(number)s at %(warehouse)s waits for QC") % {"number": receipt.number, "warehouse": warehouse.name},
        "; ".join(dict.fromkeys(reason for h in held for reason in h["reasons"])),
        level=Notification.Level.WARNING if gate.supplier_flags else Notification.Level.INFO,
        link=f"{reverse('inventory:stock_list')}?warehouse={warehouse.code}&qc_status={QcStatus.PENDING}",
        organisation_id=warehouse.organisation_id,
        site_id=warehouse.pk,
    )


def _receive_portable(
    warehouse: Site,
    lines: Sequence[ReceiptLineInput],
    batches: list[tuple[int, str]],
    gate: ReceiptQc,
    store: Location,
    supplier: Location,
    *,
    actor: Actor,
    reference: str,
    supplier_ref: str,
    supplier_name: str,
) -> Receipt:
    """Lots, the receipt, balances (lock after the missing rows), moves and lines, set-based."""
    db_at = _db_value(timezone.now())
    lots = _insert_lots(lines, batches, db_at, gate=gate, supplier_ref=supplier_ref, supplier_name=supplier_name)
    _check_known_expiry(lines, batches, lots)
    receipt = Receipt.objects.create(
        warehouse=warehouse,
        reference=reference[:128],
        supplier_ref=supplier_ref[:128],
        qc_status=gate.receipt_status,
        created_by=user_of(actor),
    )
    rows = [
        (lots[key][0], (line.location or store).pk, line.item.pk, line.qty, Decimal(line.unit_cost))
        for line, key in zip(lines, batches, strict=True)
    ]
    _add_to_balances(rows)
    _insert_moves_and_lines(receipt, rows, db_at, supplier, actor=actor, reference=reference)
    return receipt


NewLot = tuple[int, str, "dt.date | None", "dt.date | None", Decimal, str, str]


def _new_lots(
    lines: Sequence[ReceiptLineInput], batches: list[tuple[int, str]], gate: ReceiptQc
) -> dict[tuple[int, str], NewLot]:
    """The lot row of each batch of the receipt (first line of a batch wins), in key order:
    ``(item_id, batch, production_date, expiry, unit_cost, qc_status, qc_reason)``."""
    new_lots: dict[tuple[int, str], NewLot] = {}
    for line, (item_id, batch), status, reasons in zip(lines, batches, gate.statuses, gate.reasons, strict=True):
        if (item_id, batch) not in new_lots:
            new_lots[(item_id, batch)] = (
                item_id,
                batch,
                line.production_date,
                line.expiry,
                Decimal(line.unit_cost),
                status,
                "; ".join(reasons)[:255] if status != QcStatus.RELEASED else "",
            )
    return {k: new_lots[k] for k in sorted(new_lots)}


def _lot_json(row: NewLot) -> dict[str, Any]:
    item_id, batch, made, expiry, cost, status, reason = row
    return {
        "item": item_id,
        "batch": batch,
        "production_date": made.isoformat() if made else None,
        "expiry": expiry.isoformat() if expiry else None,
        "unit_cost": str(cost),
        "qc_status": status,
        "qc_reason": reason,
    }


def _insert_lots(
    lines: Sequence[ReceiptLineInput],
    batches: list[tuple[int, str]],
    db_at: Any,
    *,
    gate: ReceiptQc,
    supplier_ref: str,
    supplier_name: str,
) -> dict[tuple[int, str], tuple[int, dt.date | None, str]]:
    """Insert the lots of new batches (with the QC gate's status and hold reasons); answers
    ``(id, expiry, batch)`` of every lot of the receipt, new or known."""
    new_lots = {k: tuple(_db_value(v) for v in row) for k, row in _new_lots(lines, batches, gate).items()}
    # A batch already known for the item keeps its lot (its expiry is checked by the caller).
    insert_rows(
        Lot._meta.db_table,
        ("item_id", "batch", "production_date", "expiry", "unit_cost", "qc_status", "qc_reason"),
        ("bigint", "text", "date", "date", "numeric", "text", "text"),
        list(new_lots.values()),
        constants=(
            ("supplier_name", "text", supplier_name[:128]),
            ("supplier_ref", "text", supplier_ref[:64]),
            ("is_suspected_counterfeit", "boolean", False),
            ("created_at", "timestamptz", db_at),
        ),
        suffix='ON CONFLICT ("item_id", "batch") DO NOTHING',
    )
    lots: dict[tuple[int, str], tuple[int, dt.date | None, str]] = {}
    item_ids = sorted({k[0] for k in new_lots})
    for names in _chunks(sorted({k[1] for k in new_lots})):
        for pk, item_id, batch, expiry in Lot.objects.filter(item_id__in=item_ids, batch__in=names).values_list(
            "pk", "item_id", "batch", "expiry"
        ):
            if (item_id, batch) in new_lots:
                lots[(item_id, batch)] = (pk, expiry, batch)
    return lots


def _check_known_expiry(
    lines: Sequence[ReceiptLineInput],
    batches: list[tuple[int, str]],
    lots: dict[tuple[int, str], tuple[int, dt.date | None, str]],
) -> None:
    errors: dict[int, dict[str, list[str]]] = {}
    for i, (line, key) in enumerate(zip(lines, batches, strict=True)):
        _pk, expiry, batch = lots[key]
        if line.expiry and expiry and expiry != line.expiry:
            errors[i] = {
                "expiry": [
                    _("Batch %(batch)s is already known with expiry %(expiry)s.") % {"batch": batch, "expiry": expiry}
                ]
            }
    if errors:
        raise line_errors(errors)


ReceiptRow = tuple[int, int, int, int, Decimal]  # (lot_id, location_id, item_id, qty, unit_cost)


def _add_to_balances(rows: list[ReceiptRow]) -> None:
    """Insert the missing balances as zero rows (key order, before any lock), then lock every balance of
    the receipt (pk order) and add to it: the lock order of ``docs/decisions/0003-lock-order.md``."""
    per_key: dict[Key, int] = defaultdict(int)
    item_of: dict[int, int] = {}
    for lot_id, location_id, item_id, qty, _cost in rows:
        per_key[(lot_id, location_id)] += qty
        item_of[lot_id] = item_id
    _insert_zero_balances([(item_of[lot_id], lot_id, location_id) for lot_id, location_id in per_key])
    locked = locks.existing_balance_ids_for_update(per_key)
    if len(locked) != len(per_key):  # pragma: no cover - balances are never deleted
        raise InvalidState(_("Stock kept changing; try again."))
    _add_on_hand(sorted((locked[key], qty) for key, qty in per_key.items()))


def _insert_moves_and_lines(
    receipt: Receipt, rows: list[ReceiptRow], db_at: Any, supplier: Location, *, actor: Actor, reference: str
) -> None:
    who = _actor_fields(actor)
    actor_id = who["actor"].pk if who["actor"] is not None else None
    move_reference = (reference or receipt.number)[:128]
    insert_rows(
        StockMove._meta.db_table,
        ("item_id", "lot_id", "to_location_id", "qty", "unit_cost"),
        ("bigint", "bigint", "bigint", "integer", "numeric"),
        [(item_id, lot_id, location_id, qty, _db_value(cost)) for lot_id, location_id, item_id, qty, cost in rows],
        constants=(
            ("at", "timestamptz", db_at),
            ("from_location_id", "bigint", supplier.pk),
            ("reason", "text", MoveReason.RECEIPT.value),
            ("note", "text", ""),
            ("document_type", "text", "receipt"),
            ("document_id", "bigint", receipt.pk),
            ("reference", "text", move_reference),
            ("actor_id", "bigint", actor_id),
            ("actor_label", "text", who["actor_label"]),
        ),
    )
    insert_rows(
        ReceiptLine._meta.db_table,
        ("item_id", "lot_id", "location_id", "qty", "unit_cost"),
        ("bigint", "bigint", "bigint", "integer", "numeric"),
        [(item_id, lot_id, location_id, qty, _db_value(cost)) for lot_id, location_id, item_id, qty, cost in rows],
        constants=(("receipt_id", "bigint", receipt.pk),),
    )
