"""Reads shared by views, API and reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from baogong.core.audit import SystemActor
from baogong.core.identifiers import mask_phone
from baogong.core.money import round_fen
from baogong.core.scoping import scoped
from baogong.inventory import queries as inventory_queries
from baogong.inventory.choices import LocationKind, QcStatus
from baogong.inventory.models import Lot, StockBalance, StockMove
from baogong.inventory.queries import Destination
from baogong.orgs.models import Site
from baogong.procurement.choices import PLACED_ORDER_STATUSES, InspectionDecision
from baogong.procurement.models import (
    CounterfeitCase,
    Inspection,
    OrderApproval,
    ProcurementPolicy,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    Supplier,
    SupplierLicence,
)

SYSTEM = SystemActor("procurement")


def suppliers_for(user: Any) -> QuerySet[Supplier]:
    return scoped(Supplier.objects.select_related("organisation", "status_decided_by"), user)


def filter_suppliers(queryset: QuerySet[Supplier], params: Any) -> QuerySet[Supplier]:
    if q := (params.get("q") or "").strip():
        queryset = queryset.filter(Q(name__icontains=q) | Q(uscc__icontains=q.upper()))
    if status := params.get("status"):
        queryset = queryset.filter(status=status)
    return queryset


def policy_for(organisation_id: int | None) -> ProcurementPolicy:
    """The organisation's policy, else the group default, else the built-in defaults (30%, 30 days)."""
    policy = None
    if organisation_id is not None:
        policy = ProcurementPolicy.objects.filter(organisation_id=organisation_id).first()
    if policy is None:
        policy = ProcurementPolicy.objects.filter(organisation__isnull=True).first()
    return policy or ProcurementPolicy()


def expiring_licences(
    user: Any, *, within_days: int | None = None, on: dt.date | None = None
) -> QuerySet[SupplierLicence]:
    """Licences of the user's suppliers that expire within the alert window (or have expired)."""
    day = on or timezone.localdate()
    days = within_days if within_days is not None else policy_for(None).licence_alert_days
    return scoped(
        SupplierLicence.objects.select_related("supplier", "supplier__organisation").filter(
            expires_on__isnull=False, expires_on__lte=day + dt.timedelta(days=days)
        ),
        user,
    ).order_by("expires_on", "pk")


# --- orders, receipts, inspections ------------------------------------------------------------
def orders_for(user: Any) -> QuerySet[PurchaseOrder]:
    return scoped(PurchaseOrder.objects.select_related("supplier", "organisation", "requested_by"), user)


def filter_orders(queryset: QuerySet[PurchaseOrder], params: Any) -> QuerySet[PurchaseOrder]:
    if status := params.get("status"):
        queryset = queryset.filter(status=status)
    if params.get("needs_review") in {"1", "true"}:
        queryset = queryset.filter(needs_review=True)
    if supplier := params.get("supplier"):
        queryset = queryset.filter(supplier_id=supplier) if str(supplier).isdigit() else queryset.none()
    return queryset


def receipts_for(user: Any) -> QuerySet[PurchaseReceipt]:
    return scoped(
        PurchaseReceipt.objects.select_related(
            "order", "order__supplier", "line", "line__item", "line__warehouse", "lot"
        ),
        user,
    )


def inspections_for(user: Any) -> QuerySet[Inspection]:
    return scoped(Inspection.objects.select_related("lot", "lot__item", "receipt", "receipt__order", "inspector"), user)


def pending_inspection(user: Any) -> QuerySet[PurchaseReceipt]:
    return receipts_for(user).filter(lot__qc_status=QcStatus.PENDING).order_by("received_at", "pk")


def cases_for(user: Any) -> QuerySet[CounterfeitCase]:
    return scoped(CounterfeitCase.objects.select_related("lot", "item", "supplier", "marked_by"), user)


def lots_recalled(user: Any, start: dt.datetime, end: dt.datetime) -> list[str]:
    """Batch numbers of the lots recalled in ``[start, end)``: each counterfeit case marked then,
    its own lot and every lot of the item from that supplier it quarantined, once each, sorted."""
    cases = cases_for(user).filter(marked_at__gte=start, marked_at__lt=end)
    batches = set(cases.values_list("lot__batch", flat=True))
    batches.update(Lot.objects.filter(pk__in=cases.values("lots")).values_list("batch", flat=True))
    return sorted(batches)


def held_outside_quarantine(lot: Lot) -> bool:
    """Whether units of the lot still sit in a store or in transit (not yet in quarantine)."""
    return (
        inventory_queries.balances_for(SYSTEM).filter(lot=lot).exclude(location__kind=LocationKind.QUARANTINE).exists()
    )


# --- recall -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecallRow:
    lot_id: int
    batch: str
    site_id: int
    site_code: str
    site_name: str
    qty: int
    first_at: dt.datetime
    last_at: dt.datetime
    contact_name: str
    contact_phone: str
    address: str


def recall_rows(case: CounterfeitCase, *, reveal: bool = False) -> list[RecallRow]:
    """Every recipient that received units of the case's lots: when, how many, with contacts."""
    rows: list[tuple[int, Destination]] = []
    lots = list(case.lots.order_by("batch", "pk"))
    for lot in lots:
        rows.extend((lot.pk, d) for d in inventory_queries.lot_destinations(lot))
    sites = {s.pk: s for s in Site.objects.filter(pk__in={d.site_id for _lot, d in rows})}
    batches = {lot.pk: lot.batch for lot in lots}
    result = []
    for lot_id, d in rows:
        site = sites[d.site_id]
        phone = site.contact_phone if reveal else mask_phone(site.contact_phone)
        result.append(
            RecallRow(
                lot_id=lot_id,
                batch=batches[lot_id],
                site_id=d.site_id,
                site_code=d.site_code,
                site_name=d.site_name,
                qty=d.qty,
                first_at=d.first_at,
                last_at=d.last_at,
                contact_name=site.contact_name,
                contact_phone=phone,
                address=site.address,
            )
        )
    return sorted(result, key=lambda r: (r.site_code, r.batch))


def case_stock(case: CounterfeitCase) -> QuerySet[StockBalance]:
    """Where units of the case's lots still are (quarantine and any store not yet emptied)."""
    return (
        inventory_queries.balances_for(SYSTEM)
        .filter(lot__in=case.lots.all())
        .select_related("lot", "location", "location__site")
        .order_by("location__site__code", "lot__batch")
    )


# --- traceability -----------------------------------------------------------------------------
@dataclass
class LotTrace:
    lot: Lot
    receipts: list[PurchaseReceipt]
    approvals: list[OrderApproval]
    inspections: list[Inspection]
    destinations: list[Destination]
    moves: list[StockMove]


def trace_lot(lot: Lot, user: Any) -> LotTrace:
    """Backward (receipt → order → supplier → approvers) and forward (moves → recipients) for one lot."""
    receipts = list(
        PurchaseReceipt.objects.filter(lot=lot)
        .select_related("order", "order__supplier", "order__requested_by", "order__reviewed_by", "line", "received_by")
        .order_by("pk")
    )
    approvals = list(
        OrderApproval.objects.filter(order_id__in={r.order_id for r in receipts})
        .select_related("approver")
        .order_by("order_id", "level")
    )
    inspections = list(Inspection.objects.filter(lot=lot).select_related("inspector").order_by("pk"))
    moves = list(
        inventory_queries.moves_for(user)
        .filter(lot=lot)
        .select_related("from_location", "from_location__site", "to_location", "to_location__site")
        .order_by("at", "pk")[:500]
    )
    return LotTrace(lot, receipts, approvals, inspections, inventory_queries.lot_destinations(lot), moves)


def deliveries_to(site: Site) -> QuerySet[StockMove]:
    """What a recipient site received: each move into its recipient location, with the lot."""
    return (
        inventory_queries.moves_for(SYSTEM)
        .filter(to_location__kind=LocationKind.RECIPIENT, to_location__site=site)
        .select_related("lot", "item", "from_location", "from_location__site")
        .order_by("-at", "-pk")
    )


# --- supplier scorecard -----------------------------------------------------------------------
@dataclass(frozen=True)
class Scorecard:
    supplier: Supplier
    receipts: int
    on_time: int
    inspections: int
    rejected: int
    price_index: Decimal | None
    open_issues: int

    @property
    def on_time_rate(self) -> Decimal | None:
        return round_fen(Decimal(self.on_time * 100) / self.receipts) if self.receipts else None

    @property
    def rejection_rate(self) -> Decimal | None:
        return round_fen(Decimal(self.rejected * 100) / self.inspections) if self.inspections else None


def scorecards(suppliers: QuerySet[Supplier]) -> list[Scorecard]:
    """On-time delivery, rejection rate, price index (100 = reference price) and open issues per supplier."""
    ids = list(suppliers.values_list("pk", flat=True))
    receipts = {
        r["order__supplier_id"]: r
        for r in PurchaseReceipt.objects.filter(order__supplier_id__in=ids)
        .values("order__supplier_id")
        .annotate(n=Count("pk"), on_time=Count("pk", filter=Q(is_on_time=True)))
    }
    inspections = {
        r["receipt__order__supplier_id"]: r
        for r in Inspection.objects.filter(receipt__order__supplier_id__in=ids)
        .values("receipt__order__supplier_id")
        .annotate(n=Count("pk"), bad=Count("pk", filter=~Q(decision=InspectionDecision.RELEASE)))
    }
    money = ExpressionWrapper(F("unit_price") * F("qty"), output_field=DecimalField(max_digits=20, decimal_places=2))
    reference = ExpressionWrapper(
        F("reference_price") * F("qty"), output_field=DecimalField(max_digits=20, decimal_places=2)
    )
    prices = {
        r["order__supplier_id"]: r
        for r in PurchaseOrderLine.objects.filter(
            order__supplier_id__in=ids, order__status__in=PLACED_ORDER_STATUSES, reference_price__gt=0
        )
        .values("order__supplier_id")
        .annotate(paid=Sum(money), reference=Sum(reference))
    }
    cases = dict(
        CounterfeitCase.objects.filter(supplier_id__in=ids)
        .values("supplier_id")
        .annotate(n=Count("pk"))
        .values_list("supplier_id", "n")
    )
    reviews = dict(
        PurchaseOrder.objects.filter(supplier_id__in=ids, needs_review=True)
        .values("supplier_id")
        .annotate(n=Count("pk"))
        .values_list("supplier_id", "n")
    )
    held = dict(
        PurchaseReceipt.objects.filter(
            order__supplier_id__in=ids, lot__qc_status__in=[QcStatus.QUARANTINED, QcStatus.PENDING]
        )
        .values("order__supplier_id")
        .annotate(n=Count("lot", distinct=True))
        .values_list("order__supplier_id", "n")
    )
    cards = []
    for supplier in suppliers:
        r = receipts.get(supplier.pk, {})
        i = inspections.get(supplier.pk, {})
        p = prices.get(supplier.pk)
        index = round_fen(p["paid"] * 100 / p["reference"]) if p and p["reference"] else None
        cards.append(
            Scorecard(
                supplier=supplier,
                receipts=r.get("n", 0),
                on_time=r.get("on_time", 0),
                inspections=i.get("n", 0),
                rejected=i.get("bad", 0),
                price_index=index,
                open_issues=cases.get(supplier.pk, 0) + reviews.get(supplier.pk, 0) + held.get(supplier.pk, 0),
            )
        )
    return cards
