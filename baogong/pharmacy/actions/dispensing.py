"""Dispensing: the pharmacist scans the drug traceability code (药品追溯码) of every pack handed out
for an approved order; a code refused by the chain's rules is raised to QC."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.inventory import trace, trace_queries
from baogong.inventory.actions import record_trace_signals
from baogong.inventory.models import TraceCode
from baogong.pharmacy.actions.handling import _lock_order
from baogong.pharmacy.choices import OrderStatus
from baogong.pharmacy.models import Order

DISPENSING_STATUSES = (OrderStatus.READY,)


@retry_on_conflict
def dispense_trace_codes(order: Order, codes: Sequence[str], *, actor: Actor) -> list[TraceCode]:
    """Record the packs of ``order`` (approved and picked) by their traceability codes.

    One transaction, locks in the order of ``docs/decisions/0003``: the order, then the codes.
    Refused, nothing written, with one message per code under ``trace_codes``: a code not 20
    digits, not of a drug on the order, more packs than ordered, not in stock at this pharmacy —
    and, raised to QC as well (after the refusal, in their own transaction): a code dispensed
    before, of a recalled lot, or never received anywhere in the group.
    """
    try:
        with transaction.atomic(durable=True):
            locked = _lock_order(order, *DISPENSING_STATUSES, actor=actor)
            lines = list(locked.lines.select_related("drug"))
            ordered = Counter[int]()
            for line in lines:
                ordered[line.drug.item_id] += line.qty
            rows = trace.dispense_codes(
                locked.pharmacy,
                codes,
                item_ids=set(ordered),
                reference=locked.number,
                document_id=locked.pk,
                actor=actor,
            )
            _check_counts(locked, ordered)
            return rows
    except trace.TraceCodeRefused as exc:
        if exc.signals:
            record_trace_signals(exc.signals, actor=actor)
        raise


def _check_counts(order: Order, ordered: Counter[int]) -> None:
    scanned = Counter(row.item_id for row in trace_queries.dispensed_codes(order.number, order.pk))
    over = [
        _("%(n)d packs of %(item)s scanned for %(ordered)d ordered.")
        % {"n": n, "item": line.drug.generic_name, "ordered": ordered[item_id]}
        for item_id, n in scanned.items()
        if n > ordered[item_id]
        for line in order.lines.filter(drug__item_id=item_id).select_related("drug")[:1]
    ]
    if over:
        raise trace.TraceCodeRefused(over)
