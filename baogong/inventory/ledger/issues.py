"""Issuing stock to a recipient site, lots picked earliest-expiry-first (``issue``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor, user_of
from baogong.inventory import locks, lookups
from baogong.inventory.choices import MoveReason
from baogong.inventory.errors import InvalidState, LotNotReleased, StockInvalid
from baogong.inventory.ledger import fast
from baogong.inventory.ledger.common import (
    IssueLineInput,
    Key,
    _Leg,
    apply_legs,
    is_usable,
    line_errors,
    require_transaction,
    shortage,
    today,
)
from baogong.inventory.ledger.fefo import candidates, fefo_key, plan_fefo
from baogong.inventory.models import Issue, IssueLine, Location, StockBalance
from baogong.orgs.models import Site


# --- issue ------------------------------------------------------------------------------------
def validate_issue(warehouse: Site, recipient: Site, lines: Sequence[IssueLineInput]) -> None:
    if not lines:
        raise StockInvalid(details={"lines": [_("Add at least one line.")]})
    errors: dict[int, dict[str, list[str]]] = {}
    for i, line in enumerate(lines):
        if not isinstance(line.qty, int) or line.qty <= 0:
            errors[i] = {"qty": [_("Quantities must be whole numbers above zero.")]}
        elif line.lot is not None and line.lot.item_id != line.item.pk:
            errors[i] = {"lot": [_("The lot is not of this item.")]}
    if errors:
        raise line_errors(errors)
    if recipient.pk == warehouse.pk:
        raise StockInvalid(details={"recipient": [_("The recipient must be another site.")]})
    for line in lines:
        if line.lot is not None and not is_usable(line.lot, today()):
            raise LotNotReleased(details={"lot": line.lot.batch, "qc_status": line.lot.qc_status})


def issue(
    warehouse: Site, recipient: Site, lines: Sequence[IssueLineInput], *, actor: Actor, reference: str = ""
) -> Issue:
    """Issue stock to a recipient site, lots picked earliest-expiry-first among released, unexpired lots.

    Raises :class:`InsufficientStock` (writing nothing) when any line cannot be filled in full.
    """
    require_transaction()
    validate_issue(warehouse, recipient, lines)
    destination = lookups.recipient_location(recipient)
    if fast.enabled():
        return fast.issue(warehouse, recipient, destination, lines, actor=actor, reference=reference)
    item_ids = [line.item.pk for line in lines]
    on = today()
    # Plan without locks, make the missing destination rows, then lock sources and destinations
    # together (pk order) and re-plan on the locked numbers. Only new lots appearing in between
    # (a destination row not made yet) need another round.
    unlocked = candidates(warehouse, item_ids, lock=False)
    picks, short = plan_fefo(unlocked, lines)
    if short:
        raise shortage(short)
    # The document is written before the balances are locked (less time holding the lock); a
    # shortage found under the lock deletes it again, so nothing is left behind.
    document = Issue.objects.create(
        warehouse=warehouse,
        recipient=recipient,
        reference=reference[:128],
        created_by=user_of(actor),
    )
    picks, short, locked = _lock_and_replan(warehouse, destination, lines, unlocked, picks, item_ids=item_ids, on=on)
    if short:
        document.delete()
        raise shortage(short)
    legs = [
        _Leg(lot=b.lot, from_location=b.location, to_location=destination, qty=q, unit_cost=b.lot.unit_cost)
        for _i, b, q in picks
    ]
    apply_legs(
        legs,
        locked,
        actor=actor,
        reason=MoveReason.ISSUE,
        reference=reference or document.number,
        document_type="issue",
        document_id=document.pk,
    )
    IssueLine.objects.bulk_create(
        [
            IssueLine(
                issue=document,
                item_id=leg.lot.item_id,
                lot=leg.lot,
                location=leg.from_location,
                qty=leg.qty,
                unit_cost=leg.unit_cost,
            )
            for leg in legs
        ]
    )
    codes = {line.item.pk: line.item.code for line in lines}
    audit.record(
        "issue_stock",
        document,
        actor=actor,
        after={
            "warehouse": warehouse.code,
            "recipient": recipient.code,
            "reference": reference,
            "lines": [{"item": codes[leg.lot.item_id], "lot": leg.lot.batch, "qty": leg.qty} for leg in legs],
        },
        organisation_id=warehouse.organisation_id,
        site_id=warehouse.pk,
    )
    document.posted_lines = _posted(legs, codes)  # type: ignore[attr-defined]
    return document


def issue_in_autocommit(
    warehouse: Site, recipient: Site, lines: Sequence[IssueLineInput], *, actor: Actor, reference: str = ""
) -> Issue | None:
    """The issue as ONE statement in autocommit, where it can be: the one-statement path is on, no
    transaction is open and the recipient's location is made already. ``None`` otherwise (nothing
    written: the caller opens its durable transaction and calls :func:`issue`).

    One statement is atomic by itself and commits as it ends, inside the database: the balance lock
    it takes last is let go there, without waiting for the client's ``COMMIT`` round trip (and
    there is no ``BEGIN`` either). A shortage answers :class:`InsufficientStock` having written
    nothing, as inside a transaction (migration ``inventory/0011``)."""
    if not fast.enabled() or transaction.get_connection().in_atomic_block:
        return None
    validate_issue(warehouse, recipient, lines)
    destination = lookups.made_recipient_location(recipient)
    if destination is None:
        return None
    return fast.issue(warehouse, recipient, destination, lines, actor=actor, reference=reference)


def _posted(legs: Sequence[_Leg], codes: dict[int, str]) -> list[dict[str, Any]]:
    """The lines as written, for the answer (the fast path hands back the same shape)."""
    return [
        {
            "item": codes[leg.lot.item_id],
            "lot": leg.lot.batch,
            "expiry": leg.lot.expiry,
            "location": leg.from_location.code,
            "qty": leg.qty,
            "unit_cost": leg.unit_cost,
        }
        for leg in legs
    ]


def _lock_and_replan(
    warehouse: Site,
    destination: Location,
    lines: Sequence[IssueLineInput],
    unlocked: list[StockBalance],
    picks: list[tuple[int, StockBalance, int]],
    *,
    item_ids: list[int],
    on: dt.date,
) -> tuple[list[tuple[int, StockBalance, int]], list[dict[str, Any]], dict[Key, StockBalance]]:
    """Make the missing destination rows, lock sources and destinations together (pk order) and plan
    again on the locked numbers; only new lots appearing in between need another round."""
    planned_dest: set[Key] = set()
    for _attempt in range(5):
        wanted_dest = {(b.lot_id, destination.pk) for _i, b, _q in picks}
        if wanted_dest - planned_dest:
            planned_dest |= wanted_dest
            locks.ensure_balances((b.lot, destination) for _i, b, _q in picks)
        candidate_keys = {(b.lot_id, b.location_id) for b in unlocked}
        locked = locks.balances_for_update(candidate_keys | planned_dest)
        fresh = sorted(
            (
                b
                for k, b in locked.items()
                if k[1] != destination.pk and b.on_hand > b.reserved and is_usable(b.lot, on)
            ),
            key=fefo_key,
        )
        picks, short = plan_fefo(fresh, lines)
        if short:
            # Lots that were not candidates before the lock may fill the gap: look again.
            more = candidates(warehouse, item_ids, lock=False)
            if {(b.lot_id, b.location_id) for b in more} <= candidate_keys:
                break
            unlocked = more
            picks, short = plan_fefo(unlocked, lines)
            if short:
                break
            continue
        if {(b.lot_id, destination.pk) for _i, b, _q in picks} <= planned_dest:
            break
        unlocked = fresh
    else:  # pragma: no cover - only under extreme churn of new lots
        raise InvalidState(_("Stock kept changing; try again."))
    return picks, short, locked
