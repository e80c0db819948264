"""Row locks for the command centre's actions (``docs/decisions/0003-lock-order.md``).

Each action locks the one record it changes, alone (``of=("self",)``: the inspection, venue and
checklist point loaded with a rectification are read, not locked).
"""

from __future__ import annotations

from baogong.command.models import CommunicationPost, Drill, PlaybookStep, Rectification, ReportRecipient


def post_for_update(pk: int) -> CommunicationPost:
    return CommunicationPost.objects.select_for_update().get(pk=pk)


def rectification_for_update(pk: int) -> Rectification:
    return (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("finding__inspection__venue", "finding__item")
        .get(pk=pk)
    )


def recipient_for_update(pk: int) -> ReportRecipient:
    return ReportRecipient.objects.select_for_update().get(pk=pk)


def drill_for_update(pk: int) -> Drill:
    return Drill.objects.select_for_update().get(pk=pk)


def playbook_steps_for_update(incident_id: int) -> list[PlaybookStep]:
    """The ticked steps of one incident, in primary-key order (ticking and unticking a step)."""
    return list(PlaybookStep.objects.select_for_update().filter(incident_id=incident_id).order_by("pk"))
