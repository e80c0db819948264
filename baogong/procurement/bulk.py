"""Bulk actions of the procurement lists (core.bulk): approve many purchase orders, each through
``approve_order`` as its own button does (the approver's level, maker ≠ checker and the approval
limits are checked per order), and decide many lots waiting for inspection through ``inspect_lot``:
release those whose recorded label data has no finding (antigen kits one by one), quarantine or
reject with one reason."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.core import bulk
from baogong.procurement import actions, queries
from baogong.procurement.choices import InspectionDecision
from baogong.procurement.errors import InspectionInvalid


def _approve(order: Any, user: Any) -> None:
    actions.approve_order(order, actor=user)


def _as_received(receipt: Any, *, report_seen: bool) -> actions.InspectionInput:
    """The label as the receipt recorded it: a bulk release attests that labels match the receipt,
    the batch's inspection report was seen and the packaging is in order; every other check of
    ``inspect_lot`` (numbers, dates, shelf life, antigen-kit red flags) still refuses the lot."""
    lot = receipt.lot
    return actions.InspectionInput(
        batch=lot.batch,
        registration_number=lot.item.regulatory_number or "",
        production_date=lot.production_date,
        expiry=lot.expiry,
        has_inspection_report=report_seen,
    )


def _release(receipt: Any, user: Any) -> None:
    if actions.is_antigen_kit(receipt.lot.item):
        # the counterfeit kits of 2022: registrant and red flags are read off each box, one by one
        raise InspectionInvalid(_("Antigen test kits are inspected one by one, not released in bulk."))
    actions.inspect_lot(
        receipt.lot, _as_received(receipt, report_seen=True), decision=InspectionDecision.RELEASE, actor=user
    )


def _decide(decision: str) -> Any:
    def act(receipt: Any, user: Any, reason: str) -> None:
        actions.inspect_lot(
            receipt.lot, _as_received(receipt, report_seen=False), decision=decision, reason=reason, actor=user
        )

    return act


def _receipts(user: Any) -> Any:
    return queries.pending_inspection(user).select_related("lot", "lot__item", "line__item")


def _describe_receipt(receipt: Any) -> str:
    return f"{receipt.line.item.name} #{receipt.lot.batch}"


def register() -> None:
    bulk.register(
        bulk.BulkAction(
            key="procurement.approve_orders",
            group="procurement.orders",
            label=_("Approve"),
            perm="procurement.approve_purchaseorder",
            rows=queries.orders_for,
            act=_approve,
            describe=lambda o: f"{o.number} {o.supplier.name}",
            style="success",
        )
    )
    bulk.register(
        bulk.BulkAction(
            key="procurement.release_lots",
            group="procurement.inspections",
            label=_("Release: labels as received, reports seen"),
            perm="procurement.add_inspection",
            rows=_receipts,
            act=_release,
            describe=_describe_receipt,
            style="success",
        )
    )
    for decision, label, style in (
        (InspectionDecision.QUARANTINE, pgettext_lazy("qc decision", "Quarantine"), "outline-warning"),
        (InspectionDecision.REJECT, pgettext_lazy("qc decision", "Reject"), "outline-danger"),
    ):
        bulk.register(
            bulk.BulkAction(
                key=f"procurement.{decision}_lots",
                group="procurement.inspections",
                label=label,
                perm="procurement.add_inspection",
                rows=_receipts,
                act=_decide(decision),
                describe=_describe_receipt,
                style=style,
                needs_reason=True,
            )
        )
