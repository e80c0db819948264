"""Relief given: a refund of paid rent, or a credit note set against the lease's invoices."""

from __future__ import annotations

from decimal import Decimal

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.property import locks
from baogong.property.actions.leases import _apply_open_credits
from baogong.property.choices import CreditKind, Settlement
from baogong.property.models import ZERO, CreditAllocation, Invoice, ReliefApplication, ReliefCredit


def settle(
    application: ReliefApplication,
    amount: Decimal,
    *,
    is_top_up: bool,
    actor: Actor,
    events: list[audit.Entry] | None = None,
    uninvoiced: bool = False,
) -> list[ReliefCredit]:
    """Give ``amount``: refund paid rent first if the tenant chose refunds; the rest as a credit note
    (set against open invoices), each audited as ``give_relief``. A batch passes ``events`` (the
    entries are added there, recorded by the batch in one insert) and ``uninvoiced`` when it read
    that the lease has no invoice (a credit note then has nothing to go against)."""
    lease = application.lease
    made: list[ReliefCredit] = []
    left = amount
    if application.settlement == Settlement.REFUND:
        invoices = sorted((i for i in locks.invoices_for_update(lease) if i.paid > 0), key=lambda i: i.period_start)
        refund = ReliefCredit(application=application, lease=lease, kind=CreditKind.REFUND, is_top_up=is_top_up)
        parts: list[tuple[Invoice, Decimal]] = []
        for invoice in invoices:
            take = min(left, invoice.paid)
            if take <= 0:
                continue
            invoice.paid -= take
            invoice.credited += take
            invoice.save(update_fields=["paid", "credited", "updated_at"])
            parts.append((invoice, take))
            left -= take
        if parts:
            refund.amount = refund.applied = sum((p[1] for p in parts), ZERO)
            refund.save()
            CreditAllocation.objects.bulk_create(
                CreditAllocation(credit=refund, invoice=i, amount=take) for i, take in parts
            )
            made.append(refund)
    if left > 0:
        note = ReliefCredit.objects.create(
            application=application, lease=lease, kind=CreditKind.CREDIT_NOTE, amount=left, is_top_up=is_top_up
        )
        made.append(note)
        if not uninvoiced:
            _apply_open_credits(lease, actor=actor)
    entries = []
    for credit in made:
        credit.refresh_from_db(fields=["amount", "applied"])  # as stored; its application kept loaded
        after = {"kind": credit.kind, "amount": credit.amount, "applied": credit.applied, "top_up": is_top_up}
        entries.append(audit.Entry(credit, after=after, organisation_id=application.organisation_id))
    if events is None:
        audit.record_many("give_relief", entries, actor=actor)
    else:
        events.extend(entries)
    return made
