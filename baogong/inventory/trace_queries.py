"""Reads for scanning and drug traceability codes: what a scanned code names (item, lot), a code's
history (receipt, supplier, transfers, the order it was dispensed for), the QC signals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from baogong.catalog.models import Item
from baogong.core import scancodes
from baogong.core.scoping import scoped
from baogong.inventory.models import Lot, TraceCode, TraceSignal


@dataclass(frozen=True)
class ScanAnswer:
    scan: scancodes.Scan
    item: Item | None
    lot: Lot | None

    def as_dict(self) -> dict[str, Any]:
        data = self.scan.as_dict()
        data["item"] = {"id": self.item.pk, "code": self.item.code, "name": self.item.name} if self.item else None
        data["lot"] = (
            {
                "id": self.lot.pk,
                "batch": self.lot.batch,
                "expiry": self.lot.expiry.isoformat() if self.lot.expiry else None,
            }
            if self.lot
            else None
        )
        return data


def item_for_gtin(gtin: str) -> Item | None:
    return Item.objects.filter(gtin=scancodes.normalise_gtin(gtin)).first() if gtin else None


def item_for_trace_code(code: str) -> Item | None:
    prefix = scancodes.trace_product_prefix(code)
    known = TraceCode.objects.filter(code=code).select_related("item").first()
    if known is not None:
        return known.item
    return Item.objects.filter(trace_prefix=prefix).first()


def resolve_scan(text: str) -> ScanAnswer:
    """What a scanned ``text`` names: the item by its GTIN (or traceability prefix) and, when the
    code carries a lot number, that lot of the item if it is known. :class:`scancodes.ScanError`
    when the text is no code we read. Catalog and lots are shared master data: not scoped."""
    scan = scancodes.parse(text, today=timezone.localdate())
    if scan.kind == "trace_code":
        known = TraceCode.objects.filter(code=scan.trace_code).select_related("item", "lot").first()
        if known is not None:
            return ScanAnswer(scan, known.item, known.lot)
        return ScanAnswer(scan, item_for_trace_code(scan.trace_code), None)
    item = item_for_gtin(scan.gtin)
    lot = Lot.objects.filter(item=item, batch=scan.lot).first() if item is not None and scan.lot else None
    return ScanAnswer(scan, item, lot)


def dispensed_codes(reference: str, document_id: int) -> QuerySet[TraceCode]:
    """The packs dispensed for one document (a pharmacy order)."""
    return TraceCode.objects.filter(dispensed_reference=reference, dispensed_document_id=document_id).order_by("code")


def trace_codes_for(user: Any) -> QuerySet[TraceCode]:
    return scoped(
        TraceCode.objects.select_related("item", "lot", "site", "received_site", "parent", "received_by"), user
    )


def trace_signals_for(user: Any) -> QuerySet[TraceSignal]:
    return scoped(TraceSignal.objects.select_related("site", "lot", "lot__item", "trace_code", "detected_by"), user)
