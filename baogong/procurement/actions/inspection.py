"""Incoming inspection of a received lot: findings and the release, quarantine or reject decision."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.identifiers import antigen_kit_red_flags, check_device_registration, check_drug_approval
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope
from baogong.inventory import lots as inventory_lots
from baogong.inventory.choices import QcStatus
from baogong.inventory.models import Lot
from baogong.procurement.choices import NMPA_ANTIGEN_REGISTRANTS, InspectionDecision, SampleResult
from baogong.procurement.errors import InspectionInvalid, LotNotFromSupplier
from baogong.procurement.models import Inspection, PurchaseReceipt


# --- inspection -------------------------------------------------------------------------------
@dataclass
class InspectionInput:
    batch: str
    registration_number: str = ""
    registrant: str = ""
    production_date: dt.date | None = None
    expiry: dt.date | None = None
    has_inspection_report: bool = False
    packaging_ok: bool = True
    packaging_findings: str = ""
    sample_result: str = SampleResult.NOT_TESTED


def is_antigen_kit(item: Item) -> bool:
    node = item.category
    while node is not None:
        if node.code == "MED-DEV-IVD":
            return True
        node = node.parent
    return "抗原" in item.name


def inspection_findings(lot: Lot, data: InspectionInput, *, on: dt.date | None = None) -> tuple[list[str], list[str]]:
    """``(findings, red_flags)``: every reason the lot may not be released, and the antigen-kit red flags."""
    day = on or timezone.localdate()
    item = lot.item
    findings: list[str] = []
    red_flags: list[str] = []
    number = data.registration_number.strip().replace(" ", "")
    kind = item.category.effective_regulatory_kind() if item.category is not None else ""
    if kind or item.regulatory_number:
        if not number:
            findings.append(_("No registration/approval number on the label."))
        else:
            check = check_drug_approval(number) if kind == "drug" else check_device_registration(number)
            if not check.ok:
                findings.append(
                    _("Number %(number)s is not valid: %(reason)s") % {"number": number, "reason": check.reason}
                )
            if item.regulatory_number and number != item.regulatory_number.strip().replace(" ", ""):
                findings.append(
                    _("Number %(number)s does not match the item master's %(master)s")
                    % {"number": number, "master": item.regulatory_number}
                )
    if is_antigen_kit(item):
        expected = NMPA_ANTIGEN_REGISTRANTS.get(number, "")
        red_flags = antigen_kit_red_flags(number, registrant=data.registrant, expected_registrant=expected)
        if number and not red_flags and number not in NMPA_ANTIGEN_REGISTRANTS:
            red_flags.append(_("not on the NMPA antigen-kit list known to Baogong; verify at nmpa.gov.cn"))
        findings.extend(_("Antigen-kit red flag: %(flag)s") % {"flag": flag} for flag in red_flags)
    if data.batch.strip() != lot.batch:
        findings.append(
            _("Batch on the label %(label)s differs from the received batch %(batch)s")
            % {"label": data.batch.strip(), "batch": lot.batch}
        )
    production = data.production_date or lot.production_date
    expiry = data.expiry or lot.expiry
    if data.expiry and lot.expiry and data.expiry != lot.expiry:
        findings.append(
            _("Expiry on the label %(label)s differs from the receipt's %(expiry)s")
            % {"label": data.expiry, "expiry": lot.expiry}
        )
    if production and production > day:
        findings.append(_("Production date %(date)s is in the future.") % {"date": production})
    if expiry and expiry < day:
        findings.append(_("Expired on %(date)s.") % {"date": expiry})
    if production and expiry:
        if expiry <= production:
            findings.append(_("Expiry is not after the production date."))
        elif item.shelf_life_days and (expiry - production).days > item.shelf_life_days + 31:
            findings.append(
                _("Shelf life on the label is %(days)d days; the item's shelf life is %(life)d days.")
                % {"days": (expiry - production).days, "life": item.shelf_life_days}
            )
    elif item.shelf_life_days and not expiry:
        findings.append(_("No expiry date on the label."))
    if not data.has_inspection_report:
        findings.append(_("No inspection report (检验报告) for this batch."))
    if not data.packaging_ok:
        findings.append(
            _("Packaging/label findings: %(text)s") % {"text": data.packaging_findings.strip() or _("not in order")}
        )
    if data.sample_result == SampleResult.FAIL:
        findings.append(_("The sample test failed."))
    return findings, red_flags


@retry_on_conflict
def inspect_lot(lot: Lot, data: InspectionInput, *, decision: str, reason: str = "", actor: Actor) -> Inspection:
    """Record the inspection and decide: release (only with no findings), quarantine or reject (with a reason)."""
    current = Lot.objects.select_related("item", "item__category").get(pk=lot.pk)
    receipt = PurchaseReceipt.objects.filter(lot=current).select_related("order", "line").order_by("-pk").first()
    if receipt is None:
        raise LotNotFromSupplier()
    require_scope(actor, organisation_id=receipt.order.organisation_id, site_id=receipt.line.warehouse_id)
    if current.qc_status != QcStatus.PENDING:
        raise InspectionInvalid(
            _("Lot %(batch)s is already %(status)s.")
            % {"batch": current.batch, "status": current.get_qc_status_display()},
            details={"lot": [current.qc_status]},
        )
    if decision not in InspectionDecision.values:
        raise InspectionInvalid(details={"decision": [_("Unknown decision.")]})
    if data.sample_result not in SampleResult.values:
        raise InspectionInvalid(details={"sample_result": [_("Unknown sample result.")]})
    findings, red_flags = inspection_findings(current, data)
    if decision == InspectionDecision.RELEASE and findings:
        raise InspectionInvalid(
            _("The lot cannot be released: %(findings)s") % {"findings": "; ".join(findings)},
            details={"findings": findings},
        )
    if decision != InspectionDecision.RELEASE and not reason.strip():
        raise InspectionInvalid(details={"reason": [_("Give a reason.")]})
    status = {
        InspectionDecision.RELEASE: QcStatus.RELEASED,
        InspectionDecision.QUARANTINE: QcStatus.QUARANTINED,
        InspectionDecision.REJECT: QcStatus.REJECTED,
    }[InspectionDecision(decision)]
    note = reason.strip() or _("Inspection passed.")
    with transaction.atomic(durable=True):
        # One transaction, in the lock order: the lot's balances, then the lot (inventory's
        # in-transaction function), re-checking under the lock that it still waits for inspection.
        locked, before = inventory_lots.set_qc_status(current, status, reason=note[:255], actor=actor)
        if before != QcStatus.PENDING:
            raise InspectionInvalid(
                _("Lot %(batch)s is already %(status)s.") % {"batch": current.batch, "status": QcStatus(before).label},
                details={"lot": [before]},
            )
        inspection = Inspection.objects.create(
            lot=locked,
            receipt=receipt,
            registration_number=data.registration_number.strip()[:64],
            registrant=data.registrant.strip()[:128],
            batch=data.batch.strip()[:64],
            production_date=data.production_date,
            expiry=data.expiry,
            has_inspection_report=data.has_inspection_report,
            packaging_ok=data.packaging_ok,
            packaging_findings=data.packaging_findings.strip()[:255],
            sample_result=data.sample_result,
            findings=findings,
            red_flags=red_flags,
            decision=decision,
            reason=reason.strip()[:255],
            inspector=audit.user_of(actor),
        )
        audit.record(
            "inspect_lot",
            inspection,
            actor=actor,
            after={"lot": current.pk, "decision": decision, "findings": findings, "red_flags": red_flags},
        )
    return inspection
