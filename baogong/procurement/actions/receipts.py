"""Receiving goods against a placed order into pending lots, in one transaction with the ledger."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core.audit import Actor, user_of
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope, user_scope
from baogong.inventory import ledger
from baogong.inventory.choices import QcStatus
from baogong.inventory.models import Lot
from baogong.procurement import locks
from baogong.procurement.actions.orders import _lock_order, _set_order_status
from baogong.procurement.choices import OrderStatus
from baogong.procurement.errors import OrderStateInvalid, ReceiptInvalid
from baogong.procurement.models import PurchaseOrder, PurchaseOrderLine, PurchaseReceipt


# --- receipt against an order -----------------------------------------------------------------
@dataclass
class ReceiveLineInput:
    line: PurchaseOrderLine
    qty: int
    batch: str
    expiry: dt.date | None = None
    production_date: dt.date | None = None


@retry_on_conflict
def receive_against_order(
    order: PurchaseOrder, lines: list[ReceiveLineInput], *, actor: Actor, delivery_note: str = ""
) -> list[PurchaseReceipt]:
    """Receive goods against an order into pending lots (they wait for inspection).

    One transaction: the quantities are claimed on the locked order lines, the goods booked into
    the ledger as pending lots (``ledger.receive``, inside this transaction) and the receipts
    recorded against the order — all of it, or nothing when any part is refused.
    """
    current = PurchaseOrder.objects.select_related("supplier").get(pk=order.pk)
    _require_receiving_scope(actor, current, lines)
    if current.status not in {OrderStatus.APPROVED, OrderStatus.PARTIALLY_RECEIVED}:
        raise OrderStateInvalid(
            _("Order %(number)s is %(status)s; goods can only be received against a placed order.")
            % {"number": current.number, "status": current.get_status_display()},
            details={"status": [current.status]},
        )
    if not lines:
        raise ReceiptInvalid(details={"lines": [_("Add at least one line.")]})
    by_warehouse, wanted = _check_lines(current, lines)
    if len(by_warehouse) > 1:
        raise ReceiptInvalid(details={"lines": [_("Receive one warehouse's delivery at a time.")]})
    [entries] = by_warehouse.values()
    names = {entry.line.pk: entry.line.item.name for _i, entry in entries}
    with transaction.atomic(durable=True):
        # Locks in the one order: the purchase order, its lines (pk order), then the ledger's balances.
        locked = _lock_order(current)
        if locked.status not in {OrderStatus.APPROVED, OrderStatus.PARTIALLY_RECEIVED}:
            raise OrderStateInvalid(details={"status": [locked.status]})
        _claim_open_quantities(wanted, names)
        created = _book_receipts(current, locked, entries, actor=actor, delivery_note=delivery_note)
        open_left = any(line.open_qty > 0 for line in PurchaseOrderLine.objects.filter(order=locked))
        status = OrderStatus.PARTIALLY_RECEIVED if open_left else OrderStatus.RECEIVED
        _set_order_status(
            locked,
            status,
            "receive_against_order",
            actor,
            receipts=[{"lot": r.lot_id, "qty": r.qty, "on_time": r.is_on_time} for r in created],
        )
    return created


def _require_receiving_scope(actor: Actor, order: PurchaseOrder, lines: list[ReceiveLineInput]) -> None:
    """The order's organisation, or the warehouse of every line, must be the actor's (else ``NotFound``)."""
    if user_scope(actor).allows(organisation_id=order.organisation_id):
        return
    if not lines:
        require_scope(actor, organisation_id=order.organisation_id)
    for entry in lines:
        require_scope(actor, site_id=entry.line.warehouse_id)


Entries = list[tuple[int, ReceiveLineInput]]


def _check_lines(current: PurchaseOrder, lines: list[ReceiveLineInput]) -> tuple[dict[int, Entries], dict[int, int]]:
    """Field errors of the lines; answers them by warehouse, and the quantity wanted per order line."""
    errors: dict[str, Any] = {}
    by_warehouse: dict[int, Entries] = {}
    wanted: dict[int, int] = {}
    for i, entry in enumerate(lines):
        e: dict[str, list[str]] = {}
        line = PurchaseOrderLine.objects.select_related("item", "warehouse").get(pk=entry.line.pk)
        entry.line = line
        if line.order_id != current.pk:
            e["line"] = [_("The line is not part of this order.")]
        if not isinstance(entry.qty, int) or entry.qty <= 0:
            e["qty"] = [_("Quantities must be whole numbers above zero.")]
        else:
            wanted[line.pk] = wanted.get(line.pk, 0) + entry.qty
            if wanted[line.pk] > line.open_qty:
                e["qty"] = [
                    _("Only %(open)d of %(item)s are still open on this order.")
                    % {"open": line.open_qty, "item": line.item.name}
                ]
        if not entry.batch.strip():
            e["batch"] = [_("Enter the batch number on the packaging.")]
        elif Lot.objects.filter(item_id=line.item_id, batch=entry.batch.strip()).exists():
            e["batch"] = [_("Batch %(batch)s of this item was received before.") % {"batch": entry.batch.strip()}]
        if e:
            errors[f"lines[{i}]"] = e
        else:
            by_warehouse.setdefault(line.warehouse_id, []).append((i, entry))
    if errors:
        raise ReceiptInvalid(details=errors)
    return by_warehouse, wanted


def _claim_open_quantities(wanted: dict[int, int], names: dict[int, str]) -> None:
    """Lock the order lines (pk order, after their order) and add the received quantities to them."""
    locked_lines = {line.pk: line for line in locks.order_lines_for_update(sorted(wanted))}
    for line_id, qty in sorted(wanted.items()):
        line = locked_lines[line_id]
        if qty > line.open_qty:
            raise ReceiptInvalid(
                details={
                    "qty": [
                        _("Only %(open)d of %(item)s are still open on this order.")
                        % {"open": line.open_qty, "item": names[line_id]}
                    ]
                }
            )
        PurchaseOrderLine.objects.filter(pk=line_id).update(received_qty=F("received_qty") + qty)


def _book_receipts(
    current: PurchaseOrder, locked: PurchaseOrder, entries: Entries, *, actor: Actor, delivery_note: str
) -> list[PurchaseReceipt]:
    """Book the goods into the ledger as pending lots and record a receipt per line."""
    batches = sorted({entry.batch.strip() for _i, entry in entries})
    item_ids = sorted({entry.line.item_id for _i, entry in entries})
    now = timezone.now()
    stock_receipt = ledger.receive(
        entries[0][1].line.warehouse,
        [
            ledger.ReceiptLineInput(
                item=entry.line.item,
                batch=entry.batch.strip(),
                qty=entry.qty,
                unit_cost=entry.line.unit_price,
                expiry=entry.expiry,
                production_date=entry.production_date,
            )
            for _i, entry in entries
        ],
        actor=actor,
        reference=current.number,
        qc_status=QcStatus.PENDING,
        supplier_ref=current.supplier.uscc,
        supplier_name=current.supplier.name,
        against_order=True,
    )
    lots = {(lot.item_id, lot.batch): lot for lot in Lot.objects.filter(item_id__in=item_ids, batch__in=batches)}
    created: list[PurchaseReceipt] = []
    for _i, entry in entries:
        line = entry.line
        created.append(
            PurchaseReceipt.objects.create(
                order=locked,
                line=line,
                stock_receipt=stock_receipt,
                lot=lots[(line.item_id, entry.batch.strip())],
                qty=entry.qty,
                received_at=now,
                received_by=user_of(actor),
                is_on_time=timezone.localtime(now).date() <= line.delivery_date,
                delivery_note=delivery_note.strip()[:64],
            )
        )
    return created
