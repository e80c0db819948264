"""Drug traceability codes (药品追溯码) through the chain, inside the caller's transaction.

- :func:`receive_codes` — one scan per pack, or an aggregation code with the packs it covers;
- :func:`move_codes` — the packs go with a transfer (in transit, then booked in);
- :func:`dispense_codes` — the pharmacist scans each pack handed to the patient.

A code dispensed twice, dispensed from a recalled or quarantined lot, never received anywhere in
the group, or received again after it was dispensed is refused with :class:`TraceCodeRefused`
(field ``trace_codes``, one message per code) carrying the signals to raise; the caller's
transaction rolls back and the durable action records the signals in a transaction of their own
(:func:`baogong.inventory.actions.trace.record_trace_signals`). Rules and sources:
``docs/scanning.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from baogong.core import audit, scancodes
from baogong.core.audit import Actor
from baogong.core.errors import ValidationFailed
from baogong.inventory import locks
from baogong.inventory.choices import QcStatus, TraceCodeStatus, TraceSignalKind
from baogong.inventory.ledger.common import require_transaction
from baogong.inventory.models import Lot, TraceCode
from baogong.orgs.models import Site

FIELD = "trace_codes"
MAX_CODES = 2000


@dataclass(frozen=True)
class SignalInput:
    code: str
    kind: str
    site_id: int
    reference: str = ""
    detail: str = ""
    trace_code_id: int | None = None
    lot_id: int | None = None


class TraceCodeRefused(ValidationFailed):
    """One or more codes were refused; ``signals`` are the ones to raise to QC."""

    code = "trace_code_refused"
    default_message = gettext_lazy("Some traceability codes were refused; nothing was recorded.")

    def __init__(self, messages: list[str], *, signals: Sequence[SignalInput] = ()) -> None:
        self.signals = list(signals)
        super().__init__(details={FIELD: messages})


@dataclass
class PackInput:
    """A scanned code; for an aggregation code, the packs it covers (from the supplier's
    aggregation data)."""

    code: str
    packs: list[str] = field(default_factory=list)


def clean_codes(values: Iterable[str]) -> list[str]:
    """The codes as 20 digits, in the order scanned; refused when one is malformed or scanned twice."""
    codes: list[str] = []
    messages: list[str] = []
    for value in values:
        try:
            code = scancodes.check_trace_code(value)
        except scancodes.ScanError as exc:
            messages.append(exc.reason)
            continue
        if code in codes:
            messages.append(_("%(code)s was scanned twice.") % {"code": code})
        codes.append(code)
    if len(codes) > MAX_CODES:
        messages.append(_("At most %(n)d codes at a time.") % {"n": MAX_CODES})
    if messages:
        raise TraceCodeRefused(messages)
    if not codes:
        raise TraceCodeRefused([_("Scan at least one traceability code.")])
    return codes


def _check_product(code: str, lot: Lot, messages: list[str]) -> None:
    prefix = lot.item.trace_prefix
    if prefix and scancodes.trace_product_prefix(code) != prefix:
        messages.append(
            _("%(code)s is not a code of %(item)s (its codes begin with %(prefix)s).")
            % {"code": code, "item": lot.item.name, "prefix": prefix}
        )


def receive_codes(site: Site, lot: Lot, packs: Sequence[PackInput], *, reference: str, actor: Actor) -> list[TraceCode]:
    """Record the codes received at ``site`` for ``lot``; refused (nothing written) when a code is
    malformed, of another product, or known already — and a code that was dispensed coming back
    in is raised as 回流药."""
    require_transaction()
    codes = clean_codes([p.code for p in packs] + [c for p in packs for c in p.packs])
    known = locks.trace_codes_for_update(codes)
    messages: list[str] = []
    signals: list[SignalInput] = []
    for code in codes:
        _check_product(code, lot, messages)
        row = known.get(code)
        if row is None:
            continue
        if row.status == TraceCodeStatus.DISPENSED:
            messages.append(
                _("%(code)s was dispensed on %(date)s (%(reference)s): a returned drug (回流药), raised to QC.")
                % {
                    "code": code,
                    "date": timezone.localtime(row.dispensed_at).date(),
                    "reference": row.dispensed_reference,
                }
            )
            signals.append(
                SignalInput(code, TraceSignalKind.RETURNED_AFTER_DISPENSING, site.pk, reference, "", row.pk, row.lot_id)
            )
        else:
            messages.append(
                _("%(code)s was received already (%(site)s, %(reference)s).")
                % {"code": code, "site": row.received_site.name, "reference": row.received_reference or "-"}
            )
    if messages:
        raise TraceCodeRefused(messages, signals=signals)
    now = timezone.now()
    user = audit.user_of(actor)
    common: dict[str, Any] = {
        "item_id": lot.item_id,
        "lot": lot,
        "site": site,
        "received_site": site,
        "received_reference": reference[:128],
        "received_at": now,
        "received_by": user,
    }
    created: list[TraceCode] = []
    try:
        with transaction.atomic():
            for pack in packs:
                head = TraceCode.objects.create(
                    code=scancodes.check_trace_code(pack.code), is_aggregate=bool(pack.packs), **common
                )
                children = [TraceCode(code=scancodes.check_trace_code(c), parent=head, **common) for c in pack.packs]
                TraceCode.objects.bulk_create(children)
                created.append(head)
                audit.record(
                    "receive_trace_codes",
                    head,
                    actor=actor,
                    after={"lot": lot.batch, "item": lot.item.code, "reference": reference, "packs": len(children)},
                )
    except IntegrityError as exc:  # the same code received at the same moment elsewhere
        raise TraceCodeRefused([_("One of the codes was received at the same moment elsewhere.")]) from exc
    return created


def _with_packs(rows: dict[str, TraceCode], codes: Sequence[str]) -> list[TraceCode]:
    """The rows of ``codes`` and, for an aggregation code, its packs."""
    picked = [rows[c] for c in codes if c in rows]
    heads = {r.pk for r in picked if r.is_aggregate}
    return picked + [r for r in rows.values() if r.parent_id in heads and r.code not in codes]


def move_codes(
    codes: Sequence[str], from_site: Site, to_site: Site, *, reference: str, in_transit: bool, actor: Actor
) -> list[TraceCode]:
    """The packs leave ``from_site`` with a transfer (``in_transit``) or are booked in at ``to_site``."""
    require_transaction()
    codes = clean_codes(codes)
    rows = locks.trace_codes_for_update(codes)
    messages = []
    for code in codes:
        row = rows.get(code)
        here = row is not None and row.site_id == from_site.pk and row.status == TraceCodeStatus.IN_STOCK
        arriving = (
            row is not None
            and not in_transit
            and row.site_id == to_site.pk
            and row.status == TraceCodeStatus.IN_TRANSIT
        )
        if row is None:
            messages.append(_("%(code)s was never received.") % {"code": code})
        elif not (here or arriving):
            messages.append(
                _("%(code)s is not in stock at %(site)s (it is %(status)s at %(where)s).")
                % {"code": code, "site": from_site.name, "status": row.get_status_display(), "where": row.site.name}
            )
    if messages:
        raise TraceCodeRefused(messages)
    moved = _with_packs(rows, codes)
    status = TraceCodeStatus.IN_TRANSIT if in_transit else TraceCodeStatus.IN_STOCK
    TraceCode.objects.filter(pk__in=[r.pk for r in moved]).update(
        site=to_site, status=status, transfer_reference=reference[:128]
    )
    for row in moved:
        if row.parent_id is None:
            audit.record(
                "move_trace_codes",
                row,
                actor=actor,
                before={"site": from_site.name},
                after={"site": to_site.name, "status": status, "reference": reference},
            )
    return moved


def _dispense_refusal(
    row: TraceCode | None, code: str, site: Site, item_ids: set[int], reference: str
) -> tuple[str, SignalInput | None]:
    """Why ``code`` may not be dispensed at ``site`` (empty when it may), and the signal to raise."""
    if row is None:
        return (
            _("%(code)s was never received anywhere in the group: possibly counterfeit, raised to QC.")
            % {"code": code},
            SignalInput(code, TraceSignalKind.NEVER_RECEIVED, site.pk, reference),
        )
    if row.status == TraceCodeStatus.DISPENSED:
        return (
            _("%(code)s was dispensed already on %(date)s (%(reference)s): counterfeit or returned drug, raised to QC.")
            % {"code": code, "date": timezone.localtime(row.dispensed_at).date(), "reference": row.dispensed_reference},
            SignalInput(
                code, TraceSignalKind.DISPENSED_TWICE, site.pk, reference, row.dispensed_reference, row.pk, row.lot_id
            ),
        )
    lot = row.lot
    if lot.qc_status != QcStatus.RELEASED or lot.is_suspected_counterfeit:
        return (
            _("%(code)s belongs to lot %(batch)s, which is recalled or held by QC (%(status)s): raised to QC.")
            % {"code": code, "batch": lot.batch, "status": lot.get_qc_status_display()},
            SignalInput(code, TraceSignalKind.RECALLED_LOT, site.pk, reference, lot.qc_reason, row.pk, row.lot_id),
        )
    if row.is_aggregate:
        return _("%(code)s is an aggregation code: scan each pack handed out.") % {"code": code}, None
    if row.item_id not in item_ids:
        return _("%(code)s is a pack of %(item)s, which is not on this order.") % {
            "code": code,
            "item": row.item.name,
        }, None
    if row.site_id != site.pk or row.status != TraceCodeStatus.IN_STOCK:
        return (
            _("%(code)s is recorded at %(site)s, not here: book the transfer in first.")
            % {"code": code, "site": row.site.name},
            None,
        )
    return "", None


def dispense_codes(
    site: Site, codes: Sequence[str], *, item_ids: set[int], reference: str, document_id: int, actor: Actor
) -> list[TraceCode]:
    """Record the packs handed out at ``site`` for ``reference`` (an order); every code must have
    been received in the group, be in stock here, of an item on the order, its lot released, and
    never dispensed before. Locks the codes (pk order) before reading their status, so two
    pharmacists scanning the same pack at once: one succeeds, the other is refused."""
    require_transaction()
    codes = clean_codes(codes)
    rows = locks.trace_codes_for_update(codes)
    messages: list[str] = []
    signals: list[SignalInput] = []
    for code in codes:
        message, signal = _dispense_refusal(rows.get(code), code, site, item_ids, reference)
        if message:
            messages.append(message)
        if signal is not None:
            signals.append(signal)
    if messages:
        raise TraceCodeRefused(messages, signals=signals)
    now = timezone.now()
    user = audit.user_of(actor)
    dispensed = [rows[c] for c in codes]
    TraceCode.objects.filter(pk__in=[r.pk for r in dispensed]).update(
        status=TraceCodeStatus.DISPENSED,
        dispensed_reference=reference[:64],
        dispensed_document_id=document_id,
        dispensed_at=now,
        dispensed_by=user,
    )
    for row in dispensed:
        audit.record(
            "dispense_trace_code",
            row,
            actor=actor,
            before={"status": row.status},
            after={"status": TraceCodeStatus.DISPENSED, "reference": reference},
        )
    return dispensed


def book_in_codes(site: Site, reference: str, *, actor: Actor) -> int:
    """The packs sent to ``site`` under the transfer ``reference`` are in stock there now."""
    require_transaction()
    pending = TraceCode.objects.filter(site=site, status=TraceCodeStatus.IN_TRANSIT, transfer_reference=reference)
    codes = list(pending.values_list("code", flat=True))
    if not codes:
        return 0
    rows = locks.trace_codes_for_update(codes)
    TraceCode.objects.filter(pk__in=[r.pk for r in rows.values()], status=TraceCodeStatus.IN_TRANSIT).update(
        status=TraceCodeStatus.IN_STOCK
    )
    for row in rows.values():
        if row.parent_id is None:
            audit.record("book_in_trace_codes", row, actor=actor, after={"site": site.name, "reference": reference})
    return len(rows)
