"""Drug traceability codes: recorded at receipt, and the signals a blocked code raises to QC."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.models import Notification
from baogong.core.notify import notify
from baogong.core.retry import retry_on_conflict
from baogong.inventory import lots as inventory_lots
from baogong.inventory import trace
from baogong.inventory.actions.common import require_site_scope
from baogong.inventory.choices import TraceSignalKind
from baogong.inventory.models import Lot, TraceCode, TraceSignal
from baogong.orgs.models import Site

# A pack seen twice, or coming back after it was sold, puts its whole lot under suspicion.
SUSPECT_LOT = {TraceSignalKind.DISPENSED_TWICE, TraceSignalKind.RETURNED_AFTER_DISPENSING}


@retry_on_conflict
def receive_trace_codes(
    site: Site, lot: Lot, packs: Sequence[trace.PackInput], *, reference: str, actor: Actor
) -> list[TraceCode]:
    """Record the traceability codes of packs of ``lot`` received at ``site`` (one transaction);
    a refusal that carries signals records them (:func:`record_trace_signals`) and is raised."""
    require_site_scope(actor, site)
    try:
        with transaction.atomic(durable=True):
            return trace.receive_codes(site, lot, packs, reference=reference, actor=actor)
    except trace.TraceCodeRefused as exc:
        if exc.signals:
            record_trace_signals(exc.signals, actor=actor)
        raise


@retry_on_conflict
def record_trace_signals(signals: Sequence[trace.SignalInput], *, actor: Actor) -> list[TraceSignal]:
    """Raise blocked codes to QC, in a transaction of their own (the refused action wrote nothing):
    one :class:`TraceSignal` each, the lot of a pack seen twice flagged as suspected counterfeit
    (the QC flag the recall pages show), and a critical notification to the organisation."""
    with transaction.atomic(durable=True):
        user = audit.user_of(actor)
        created = []
        for signal in signals:
            row = TraceSignal.objects.create(
                code=signal.code,
                kind=signal.kind,
                trace_code_id=signal.trace_code_id,
                lot_id=signal.lot_id,
                site_id=signal.site_id,
                reference=signal.reference[:128],
                detail=signal.detail[:255],
                detected_by=user,
            )
            audit.record(
                "raise_trace_signal",
                row,
                actor=actor,
                after={"code": row.code, "kind": row.kind, "reference": row.reference},
            )
            created.append(row)
        suspect = sorted({s.lot_id for s in signals if s.lot_id and s.kind in SUSPECT_LOT})
        if suspect:
            inventory_lots.mark_suspected_counterfeit(
                list(Lot.objects.filter(pk__in=suspect)),
                reason=_("Traceability code seen twice or returned after dispensing"),
                actor=actor,
            )
        for row in created:
            link = reverse("inventory:trace_lookup") + f"?code={row.code}"
            notify(
                _("Traceability code blocked: %(code)s") % {"code": row.code},
                _("%(kind)s — at %(site)s, %(reference)s.")
                % {"kind": row.get_kind_display(), "site": row.site.name, "reference": row.reference or "-"},
                level=Notification.Level.CRITICAL,
                link=link,
                organisation_id=row.site.organisation_id,
            )
        return created
