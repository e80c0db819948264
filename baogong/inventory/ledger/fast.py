"""The lean write path of the ledger primitives on PostgreSQL (issue 25).

An issue is one call of a stored function (migrations ``inventory/0006`` and ``0011``) that plans
FEFO on the unlocked balances, inserts the missing destination balances, writes the document, its
moves and lines and the audit event FIRST, and takes the balance locks LAST: the planned source and
destination balances in primary-key order, then one statement that checks on the locked numbers
that the plan still stands (lots released and unexpired, free units enough — and unchanged where
the plan took them all, so FEFO gives what a re-plan under the lock would) and changes the
balances. A hot balance is locked for that one statement and the commit. When the check fails
(stock taken or freed meanwhile) the attempt, written in a subtransaction, is rolled back whole and
the same call goes the old way: every candidate locked in pk order, planned again on the locked
numbers, then written. One statement, one round trip. ``actions.issue_stock`` runs that statement
in autocommit (:func:`baogong.inventory.ledger.issue_in_autocommit`): it is its own transaction
and commits inside the database as it ends, so the lock does not wait for the client's ``COMMIT``;
callers composing :func:`baogong.inventory.ledger.issue` inside their transaction keep it until
their commit, as before. ``tests/test_issue_lock_last.py`` shows the order with two sessions.

The primitives call the functions when :func:`enabled` says so (PostgreSQL and
``settings.BAOGONG_LEDGER_FAST_PATH``, on by default); otherwise (SQLite, or the setting off) they
take their portable path, which gives the same documents, moves, balances and audit events
(``tests/test_fast_path.py`` runs both and compares).

The functions answer what was written, so the API answers without reading the lines again
(``posted_lines`` on the returned document).

Reservations (``reserve`` and ``reserve_many``) go the same way through ``inventory_reserve``
(migration ``inventory/0008``): the usable balances locked in pk order and read locked, FEFO, the
conditional ``reserved`` updates, the reservations and the audit event in one statement, then one
read of the reservations made (the callers use them as model instances);
receipts through ``inventory_receive`` (new lots, receipt, missing balances, balance lock in pk
order and the additions, moves, lines, audit event). ``inventory/tests/test_fast_reserve.py``
compares both paths. Transfers (``move`` of lines without a reservation) go through
``inventory_move`` (migration ``inventory/0009``): the destination balances inserted, source and
destination balances locked together in pk order, availability on the locked numbers, one
conditional update, the moves and the ``move_stock`` event; ``tests/test_fast_move.py`` compares.
Moves that use up a reservation (``consume_reservation``, picking) and ``move_many`` keep the
portable path.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core.audit import Actor, to_json
from baogong.core.context import current_request_id
from baogong.inventory.choices import SOURCE_KINDS, STOCK_KINDS, MoveReason
from baogong.inventory.errors import LotNotReleased
from baogong.inventory.ledger.common import (
    UNUSABLE_DESTINATIONS,
    IssueLineInput,
    MoveInput,
    ReceiptLineInput,
    _actor_fields,
    _check_destination,
    line_errors,
    shortage,
)
from baogong.inventory.models import Issue, Location, Lot, Receipt, Reservation, StockMove
from baogong.orgs.models import Site

UNKNOWN = {
    "lot": "Unknown batch of this item.",
    "from_location": "Unknown location at this warehouse.",
    "to_location": "Unknown location at this warehouse.",
}
"""A move's line naming a lot or location that is gone (the resolvers' messages)."""

PostedLine = dict[str, Any]
"""One line as written: ``{"item": code, "lot": batch, "expiry", "location": code, "qty", "unit_cost"}``."""


def enabled() -> bool:
    """Whether the primitives take the one-statement path (PostgreSQL, unless switched off)."""
    return connection.vendor == "postgresql" and bool(getattr(settings, "BAOGONG_LEDGER_FAST_PATH", True))


def _call(function: str, payload: dict[str, Any]) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s::jsonb)", [json.dumps(payload)])
        value = cursor.fetchone()[0]
    return value if isinstance(value, dict) else json.loads(value)


def issue(
    warehouse: Site,
    recipient: Site,
    destination: Location,
    lines: Sequence[IssueLineInput],
    *,
    actor: Actor,
    reference: str,
) -> Issue:
    """The issue as one statement; raises :class:`InsufficientStock` (nothing written) when short."""
    now = timezone.now()
    who = _actor_fields(actor)
    user = who["actor"]
    payload = {
        "warehouse": warehouse.pk,
        "recipient": recipient.pk,
        "destination": destination.pk,
        "reference": reference[:128],
        "move_reference": reference,
        "audit_reference": reference,
        "actor": user.pk if user is not None else None,
        "actor_label": who["actor_label"],
        "today": timezone.localdate().isoformat(),
        "now": now.isoformat(),
        "local_date": f"{timezone.localdate(now):%Y%m%d}",
        "content_type": ContentType.objects.get_for_model(Issue).pk,
        "request_id": current_request_id(),
        "organisation": warehouse.organisation_id,
        "warehouse_code": warehouse.code,
        "recipient_code": recipient.code,
        "stock_kinds": sorted(str(k) for k in STOCK_KINDS),
        "lines": [
            {
                "item": line.item.pk,
                "code": line.item.code,
                "lot": line.lot.pk if line.lot is not None else None,
                "batch": line.lot.batch if line.lot is not None else None,
                "qty": line.qty,
            }
            for line in lines
        ],
    }
    result = _call("inventory_post_issue", payload)
    if "short" in result:
        raise shortage(result["short"])
    document = Issue(
        pk=result["id"],
        warehouse=warehouse,
        recipient=recipient,
        reference=reference[:128],
        created_at=now,
        created_by=user,
    )
    document._state.adding = False
    document._state.db = connection.alias
    document.posted_lines = posted(result["lines"])  # type: ignore[attr-defined]
    return document


def posted(rows: list[dict[str, Any]]) -> list[PostedLine]:
    """The function's lines with dates and decimals as Python values."""
    return [
        {
            "item": row["item"],
            "lot": row["lot"],
            "expiry": dt.date.fromisoformat(row["expiry"]) if row["expiry"] else None,
            "location": row["location"],
            "qty": int(row["qty"]),
            "unit_cost": Decimal(row["unit_cost"]),
        }
        for row in rows
    ]


def reserve(
    warehouse: Site, needs: Sequence[tuple[Item, int, str]], *, actor: Actor, object_repr: str | None = None
) -> list[tuple[int, Reservation]]:
    """Reservations as one statement (migration ``inventory/0008``): ``[(need index, reservation)]``
    in pick order; raises :class:`InsufficientStock` (nothing written) when short.

    ``needs`` are ``(item, qty, reference)``; one need and no ``object_repr`` writes the audit event
    of ``reserve``, else that of ``reserve_many`` (``object_repr`` with ``{count}`` for the number of
    reservations)."""
    now = timezone.now()
    who = _actor_fields(actor)
    user = who["actor"]
    payload = {
        "warehouse": warehouse.pk,
        "warehouse_code": warehouse.code,
        "organisation": warehouse.organisation_id,
        "shape": "single" if object_repr is None else "many",
        "object_repr": object_repr,
        "actor": user.pk if user is not None else None,
        "actor_label": who["actor_label"],
        "today": timezone.localdate().isoformat(),
        "now": now.isoformat(),
        "content_type": ContentType.objects.get_for_model(Reservation).pk,
        "request_id": current_request_id(),
        "stock_kinds": sorted(str(k) for k in STOCK_KINDS),
        "lines": [
            {"item": item.pk, "code": item.code, "lot": None, "batch": None, "qty": qty, "reference": reference}
            for item, qty, reference in needs
        ],
    }
    result = _call("inventory_reserve", payload)
    if "short" in result:
        raise shortage(result["short"])
    rows = result["reservations"]
    found = Reservation.objects.select_related("balance", "lot__item", "location__site").in_bulk(
        [row["id"] for row in rows]
    )
    return [(int(row["line"]), found[row["id"]]) for row in rows]


def receive(
    warehouse: Site,
    lines: Sequence[ReceiptLineInput],
    lots: list[dict[str, Any]],
    *,
    batches: Sequence[tuple[int, str]],
    store: Location,
    supplier: Location,
    actor: Actor,
    reference: str,
    qc_status: str,
    supplier_ref: str,
    supplier_name: str,
    after: dict[str, Any],
) -> Receipt:
    """The receipt as one statement (migration ``inventory/0008``): ``lots`` are the new batches'
    rows, ``after`` the audit event's; a known batch with another expiry raises the line errors."""
    now = timezone.now()
    who = _actor_fields(actor)
    user = who["actor"]
    payload = {
        "warehouse": warehouse.pk,
        "organisation": warehouse.organisation_id,
        "supplier": supplier.pk,
        "reference": reference[:128],
        "reference_full": reference,
        "receipt_supplier_ref": supplier_ref[:128],
        "supplier_ref": supplier_ref[:64],
        "supplier_name": supplier_name[:128],
        "qc_status": qc_status,
        "actor": user.pk if user is not None else None,
        "actor_label": who["actor_label"],
        "now": now.isoformat(),
        "local_date": f"{timezone.localdate(now):%Y%m%d}",
        "content_type": ContentType.objects.get_for_model(Receipt).pk,
        "request_id": current_request_id(),
        "audit_after": to_json(after),
        "lots": lots,
        "lines": [
            {
                "item": line.item.pk,
                "batch": batch,
                "location": (line.location or store).pk,
                "qty": line.qty,
                "unit_cost": str(Decimal(line.unit_cost)),
                "expiry": line.expiry.isoformat() if line.expiry else None,
            }
            for line, (_item, batch) in zip(lines, batches, strict=True)
        ],
    }
    result = _call("inventory_receive", payload)
    if "expiry" in result:
        raise line_errors(
            {
                int(row["line"]): {
                    "expiry": [
                        _("Batch %(batch)s is already known with expiry %(expiry)s.")
                        % {"batch": row["batch"], "expiry": dt.date.fromisoformat(row["expiry"])}
                    ]
                }
                for row in result["expiry"]
            }
        )
    document = Receipt(
        pk=result["id"],
        warehouse=warehouse,
        reference=reference[:128],
        supplier_ref=supplier_ref[:128],
        qc_status=qc_status,
        created_at=now,
        created_by=user,
    )
    document._state.adding = False
    document._state.db = connection.alias
    return document


def move(
    lines: Sequence[MoveInput],
    actor: Actor,
    reason: str,
    reference: str,
    document_type: str,
    document_id: int | None,
    note: str,
    check_usable: bool,
) -> list[StockMove]:
    """The transfer as one statement (migration ``inventory/0009``): ``move``'s arguments in its
    order, lines already validated and without reservations; raises :class:`LotNotReleased` or :class:`InsufficientStock` as the
    portable path does, having changed no balance."""
    now = timezone.now()
    who = _actor_fields(actor)
    user = who["actor"]
    label = MoveReason(reason).label if reason in MoveReason.values else reason
    payload = {
        "lines": [
            {"lot": line.lot.pk, "from": line.from_location.pk, "to": line.to_location.pk, "qty": line.qty}
            for line in lines
        ],
        "check_usable": check_usable,
        "today": timezone.localdate().isoformat(),
        "now": now.isoformat(),
        "source_kinds": sorted(str(k) for k in SOURCE_KINDS),
        "unusable_destinations": sorted(str(k) for k in UNUSABLE_DESTINATIONS),
        "stock_kinds": sorted(str(k) for k in STOCK_KINDS),
        "reason": str(reason),
        "reference": reference,
        "move_reference": reference[:128],
        "note": note[:255],
        "document_type": document_type,
        "document_id": document_id,
        "actor": user.pk if user is not None else None,
        "actor_label": who["actor_label"],
        "object_repr": f"{label} {reference}".strip()[:255],
        "content_type": ContentType.objects.get_for_model(StockMove).pk,
        "request_id": current_request_id(),
    }
    result = _call("inventory_move", payload)
    if "missing" in result:
        raise line_errors({int(row["line"]): {row["field"]: [_(UNKNOWN[row["field"]])]} for row in result["missing"]})
    if "unusable" in result:
        raise _unusable(result["unusable"], lines)
    if "short" in result:
        raise shortage(result["short"])
    moves = []
    for line, row in zip(lines, result["moves"], strict=True):
        made = StockMove(
            pk=row["id"],
            at=now,
            item_id=line.lot.item_id,
            lot=line.lot,
            from_location=line.from_location,
            to_location=line.to_location,
            qty=line.qty,
            unit_cost=Decimal(row["unit_cost"]),
            reason=reason,
            note=note[:255],
            document_type=document_type,
            document_id=document_id,
            reference=reference[:128],
            **who,
        )
        made._state.adding = False
        made._state.db = connection.alias
        moves.append(made)
    return moves


def _unusable(row: dict[str, Any], lines: Sequence[MoveInput]) -> LotNotReleased:
    """The portable path's refusal for the line the function found unusable (the lot as it read it)."""
    line = lines[int(row["line"])]
    expiry = dt.date.fromisoformat(row["expiry"]) if row["expiry"] else None
    lot = Lot(pk=row["lot"], item_id=line.lot.item_id, batch=row["batch"], qc_status=row["qc_status"], expiry=expiry)
    try:
        _check_destination(lot, line.from_location, line.to_location)
    except LotNotReleased as exc:
        return exc
    return LotNotReleased(details={"lot": row["batch"], "qc_status": row["qc_status"]})
