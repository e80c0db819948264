"""Suppliers: registration, licences, review, suspension and the group blacklist."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit, uploads
from baogong.core.audit import Actor
from baogong.core.errors import require_text
from baogong.core.identifiers import check_uscc
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope, user_scope
from baogong.procurement import locks
from baogong.procurement.choices import CATEGORY_LICENCES, LicenceKind, SupplierStatus, SupplyCategory
from baogong.procurement.errors import (
    LicenceInvalid,
    SupplierBlacklisted,
    SupplierInvalid,
    SupplierNotQualified,
    SupplierStatusInvalid,
)
from baogong.procurement.models import BlacklistEntry, Supplier, SupplierLicence

SUPPLIER_FIELDS = [
    "organisation",
    "name",
    "uscc",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "address",
    "categories",
]


DOCUMENT_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")


# --- suppliers --------------------------------------------------------------------------------
def _clean_supplier(supplier: Supplier, actor: Actor) -> None:
    errors: dict[str, list[str]] = {}
    supplier.uscc = (supplier.uscc or "").strip().upper()
    check = check_uscc(supplier.uscc) if supplier.uscc else None
    if check is None:
        errors["uscc"] = [_("This field is required.")]
    elif not check.ok:
        errors["uscc"] = [check.reason]
    else:
        supplier.uscc_warnings = list(check.warnings)
    categories = supplier.categories if isinstance(supplier.categories, list) else []
    unknown = [c for c in categories if c not in SupplyCategory.values]
    if unknown or not categories:
        errors["categories"] = [
            _("Unknown categories: %(codes)s") % {"codes": ", ".join(map(str, unknown))}
            if unknown
            else _("Name at least one category supplied.")
        ]
    supplier.categories = sorted(set(categories))
    try:
        supplier.full_clean(exclude=["uscc", "categories", "uscc_warnings"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if supplier.organisation_id and not user_scope(actor).allows(organisation_id=supplier.organisation_id):
        errors.setdefault("organisation", []).append(_("You may not add suppliers for this organisation."))
    if errors:
        raise SupplierInvalid(details=errors)


@retry_on_conflict
def register_supplier(data: Mapping[str, Any], *, actor: Actor) -> Supplier:
    """Register a supplier for review (status pending). A USCC warning is kept and shown, not refused."""
    with transaction.atomic(durable=True):
        supplier = Supplier(**{k: v for k, v in data.items() if k in SUPPLIER_FIELDS})
        _clean_supplier(supplier, actor)
        if Supplier.objects.filter(organisation_id=supplier.organisation_id, uscc=supplier.uscc).exists():
            raise SupplierInvalid(details={"uscc": [_("This organisation already has a supplier with this code.")]})
        supplier.save()
        audit.record("register_supplier", supplier, actor=actor, after=audit.snapshot(supplier))
        return supplier


@retry_on_conflict
def update_supplier(supplier: Supplier, data: Mapping[str, Any], *, actor: Actor) -> Supplier:
    require_scope(actor, organisation_id=supplier.organisation_id)
    with transaction.atomic(durable=True):
        locked = locks.suppliers_for_update([supplier.pk]).get()
        before = audit.snapshot(locked)
        for key, value in data.items():
            if key in SUPPLIER_FIELDS and key not in {"organisation", "uscc"}:
                setattr(locked, key, value)
        _clean_supplier(locked, actor)
        locked.save()
        after = audit.snapshot(locked)
        changed = {k: v for k, v in after.items() if before.get(k) != v and k != "updated_at"}
        if changed:
            audit.record("update_supplier", locked, actor=actor, before={k: before[k] for k in changed}, after=changed)
        return locked


def check_document(document: Any) -> list[str]:
    """Problems with an uploaded licence document: type (by name and content) and size."""
    problems: list[str] = []
    name = str(getattr(document, "name", "")).lower()
    extension = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if extension not in DOCUMENT_EXTENSIONS:
        return [_("Upload a PDF, JPEG or PNG file.")]
    size = int(getattr(document, "size", 0) or 0)
    if size > settings.BAOGONG_MAX_UPLOAD_BYTES:
        problems.append(
            _("The file is larger than %(mb)d MB.") % {"mb": settings.BAOGONG_MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    if size == 0:
        problems.append(_("The file is empty."))
    if not uploads.matches(document, extension):
        problems.append(_("The file content is not a %(ext)s file.") % {"ext": extension.lstrip(".").upper()})
    return problems


def _new_licence(
    supplier: Supplier, data: Mapping[str, Any], document: Any, actor: Actor
) -> tuple[SupplierLicence, dict[str, list[str]]]:
    """An unsaved licence from ``data`` and the field errors that refuse it."""
    errors: dict[str, list[str]] = {}
    licence = SupplierLicence(
        supplier=supplier,
        kind=data.get("kind") or "",
        number=str(data.get("number") or "").strip(),
        scope=str(data.get("scope") or "").strip(),
        issued_on=data.get("issued_on"),
        expires_on=data.get("expires_on"),
        uploaded_by=audit.user_of(actor),
    )
    try:
        licence.full_clean(exclude=["document", "supplier", "uploaded_by"])
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    if licence.kind == LicenceKind.BUSINESS and licence.number and licence.number.upper() != supplier.uscc:
        errors.setdefault("number", []).append(
            _("A business licence number is the supplier's credit code %(uscc)s.") % {"uscc": supplier.uscc}
        )
    if licence.issued_on and licence.expires_on and licence.expires_on < licence.issued_on:
        errors.setdefault("expires_on", []).append(_("Expiry is before the issue date."))
    if document is not None:
        problems = check_document(document)
        if problems:
            errors["document"] = problems
    return licence, errors


def add_licence(supplier: Supplier, data: Mapping[str, Any], *, document: Any = None, actor: Actor) -> SupplierLicence:
    """Record a licence with its number, scope, expiry and scanned document."""
    return add_licences(supplier, [(data, document)], actor=actor)[0]


@retry_on_conflict
def add_licences(
    supplier: Supplier, entries: Sequence[tuple[Mapping[str, Any], Any]], *, actor: Actor
) -> list[SupplierLicence]:
    """Record several licences at once, each with its scanned document: every one is checked
    first (field errors of the n-th named ``n-field`` when there are several), then all are
    stored in one transaction, each audited as ``add_licence`` — all or none."""
    require_scope(actor, organisation_id=supplier.organisation_id)
    if not entries:
        raise LicenceInvalid(details={"document": [_("Add at least one licence.")]})
    made = [(_new_licence(supplier, data, document, actor), document) for data, document in entries]
    errors: dict[str, list[str]] = {}
    for n, ((_licence, problems), _document) in enumerate(made, 1):
        if len(made) == 1:
            errors.update(problems)
            continue
        prefix = _("Licence %(n)s") % {"n": n}
        errors.update({f"{n}-{k}": [f"{prefix}：{m}" for m in v] for k, v in problems.items()})
    if errors:
        raise LicenceInvalid(details=errors)
    with transaction.atomic(durable=True):
        locks.suppliers_for_update([supplier.pk]).get()
        licences = []
        for (licence, _problems), document in made:
            if document is not None:
                licence.document.save(document.name.rsplit("/", 1)[-1], document, save=False)
            licence.save()
            audit.record(
                "add_licence",
                licence,
                actor=actor,
                after=_licence_snapshot(licence),
                organisation_id=supplier.organisation_id,
            )
            licences.append(licence)
        return licences


def _licence_snapshot(licence: SupplierLicence) -> dict[str, Any]:
    # An empty FileField cannot go through audit.snapshot (its .url raises), so it is named here.
    data = audit.snapshot(licence, fields=["id", "supplier", "kind", "number", "scope", "issued_on", "expires_on"])
    data["document"] = licence.document.name or None
    return data


def licence_problems(supplier: Supplier, categories: list[str], *, on: dt.date | None = None) -> list[str]:
    """Why ``supplier`` may not supply ``categories`` on ``on``: each missing or expired licence, named."""
    day = on or timezone.localdate()
    licences = list(supplier.licences.all())
    problems: list[str] = []
    for category in categories:
        for alternatives in CATEGORY_LICENCES.get(category, [[LicenceKind.BUSINESS]]):
            held = [lic for lic in licences if lic.kind in alternatives]
            if any(lic.is_valid_on(day) for lic in held):
                continue
            names = _(" or ").join(str(LicenceKind(kind).label) for kind in alternatives)
            label = str(SupplyCategory(category).label) if category in SupplyCategory.values else category
            if held:
                latest = max(held, key=lambda lic: lic.expires_on or day)
                problem = _("%(licence)s %(number)s expired on %(date)s (needed for %(category)s)") % {
                    "licence": names,
                    "number": latest.number,
                    "date": latest.expires_on,
                    "category": label,
                }
            else:
                problem = _("no %(licence)s on file (needed for %(category)s)") % {
                    "licence": names,
                    "category": label,
                }
            if problem not in problems:
                problems.append(problem)
    return problems


def is_blacklisted(uscc: str) -> BlacklistEntry | None:
    return BlacklistEntry.objects.filter(uscc=uscc.strip().upper()).first()


def _set_status(supplier: Supplier, status: str, reason: str, actor: Actor, verb: str) -> Supplier:
    audit.change_status(
        verb,
        supplier,
        status,
        actor=actor,
        stamps={
            "status_reason": reason[:255],
            "status_decided_by": audit.user_of(actor),
            "status_decided_at": timezone.now(),
        },
        before={"status_reason": supplier.status_reason},
        after={"status_reason": reason[:255]},
    )
    return supplier


@retry_on_conflict
def approve_supplier(supplier: Supplier, *, reason: str = "", actor: Actor) -> Supplier:
    """Approve after review: refused when the USCC is blacklisted or a needed licence is missing or expired."""
    require_scope(actor, organisation_id=supplier.organisation_id)
    with transaction.atomic(durable=True):
        locked = locks.suppliers_for_update([supplier.pk]).get()
        if locked.status not in {SupplierStatus.PENDING, SupplierStatus.SUSPENDED}:
            raise SupplierStatusInvalid(
                _("A %(status)s supplier cannot be approved.") % {"status": locked.get_status_display()},
                details={"status": [locked.status]},
            )
        entry = is_blacklisted(locked.uscc)
        if entry is not None:
            raise SupplierBlacklisted(
                _("%(uscc)s is on the group blacklist since %(date)s: %(reason)s")
                % {
                    "uscc": entry.uscc,
                    "date": f"{timezone.localtime(entry.decided_at):%Y-%m-%d}",
                    "reason": entry.reason,
                },
                details={"uscc": [entry.reason]},
            )
        problems = licence_problems(locked, list(locked.categories))
        if problems:
            raise SupplierNotQualified(
                _("The supplier cannot be approved: %(problems)s") % {"problems": "; ".join(problems)},
                details={"licences": problems},
            )
        return _set_status(locked, SupplierStatus.APPROVED, reason.strip(), actor, "approve_supplier")


@retry_on_conflict
def suspend_supplier(supplier: Supplier, *, reason: str, actor: Actor) -> Supplier:
    require_scope(actor, organisation_id=supplier.organisation_id)
    require_text(reason, SupplierInvalid, _("Give a reason."))
    with transaction.atomic(durable=True):
        locked = locks.suppliers_for_update([supplier.pk]).get()
        return _suspend(locked, reason.strip(), actor)


def _suspend(locked: Supplier, reason: str, actor: Actor) -> Supplier:
    if locked.status == SupplierStatus.BLACKLISTED:
        raise SupplierStatusInvalid(
            _("A blacklisted supplier cannot be suspended."), details={"status": [locked.status]}
        )
    return _set_status(locked, SupplierStatus.SUSPENDED, reason, actor, "suspend_supplier")


@retry_on_conflict
def blacklist_supplier(supplier: Supplier, *, reason: str, actor: Actor) -> BlacklistEntry:
    """Blacklist a USCC for the whole group: every enterprise's supplier with that code is blacklisted."""
    require_scope(actor, organisation_id=supplier.organisation_id)
    require_text(reason, SupplierInvalid, _("Give a reason."))
    with transaction.atomic(durable=True):
        ids = list(Supplier.objects.filter(uscc=supplier.uscc).values_list("pk", flat=True))
        same_code = list(locks.suppliers_for_update(ids))
        entry, _created = BlacklistEntry.objects.get_or_create(
            uscc=supplier.uscc,
            defaults={
                "name": supplier.name,
                "reason": reason.strip()[:255],
                "decided_by": audit.user_of(actor),
                "organisation_id": supplier.organisation_id,
            },
        )
        audit.record(
            "blacklist_supplier",
            entry,
            actor=actor,
            after={"uscc": entry.uscc, "name": entry.name, "reason": entry.reason},
        )
        for other in same_code:
            if other.status != SupplierStatus.BLACKLISTED:
                _set_status(other, SupplierStatus.BLACKLISTED, reason.strip(), actor, "blacklist_supplier")
        return entry
