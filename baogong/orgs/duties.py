"""Separation of duties (maker ≠ checker), shared by every app that approves documents.

An app's action names the people who made the document (and took the earlier steps) and asks
:func:`require_another_person` before the checker's step. A small organisation may waive the rule
(``Organisation.allows_one_person_approval``, set by :func:`baogong.orgs.actions.set_one_person_approval`,
audited); the answer then says so, and the caller records it in its own audit event.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from baogong.core.audit import Actor
from baogong.core.formatting import money
from baogong.orgs.errors import OverApprovalLimit, SamePerson
from baogong.orgs.models import ApprovalLimit, Organisation


def one_person_allowed(organisation_id: int | None) -> bool:
    """Whether the organisation waived the separation of duties."""
    if organisation_id is None:
        return False
    return bool(
        Organisation.objects.filter(pk=organisation_id).values_list("allows_one_person_approval", flat=True).first()
    )


def require_another_person(
    organisation_id: int | None, *, actor: Actor, earlier: Mapping[str, Any], field: str = "actor"
) -> bool:
    """Refuse (:class:`SamePerson`, a field error on ``field``) when ``actor`` took one of the
    ``earlier`` steps (``{step label: user id or None}``) of the same document; answers ``True``
    when it did but the organisation waived the rule (record it), ``False`` otherwise."""
    user_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    if user_id is None:
        return False
    same = [str(label) for label, who in earlier.items() if who is not None and who == user_id]
    if not same:
        return False
    if one_person_allowed(organisation_id):
        return True
    message = _("You did %(steps)s of this document; another person must do this step.") % {"steps": "、".join(same)}
    raise SamePerson(message, details={field: [message]})


def approval_limits(organisation_id: int | None, kind: str) -> dict[int, Decimal]:
    """``{role group id: limit}`` for ``kind``: the organisation's own rows, else the group's
    defaults (rows without an organisation); empty when the kind has no limit."""
    rows = ApprovalLimit.objects.filter(kind=kind)
    if organisation_id is not None:
        own = list(rows.filter(organisation_id=organisation_id).values_list("group_id", "max_amount"))
        if own:
            return dict(own)
    return dict(rows.filter(organisation__isnull=True).values_list("group_id", "max_amount"))


def require_within_limit(
    organisation_id: int | None,
    kind: str,
    amount: Decimal,
    *,
    actor: Actor,
    field: str = "amount",
    limits: Mapping[int, Decimal] | None = None,
    group_ids: set[int] | None = None,
) -> Decimal | None:
    """Refuse (:class:`OverApprovalLimit`, a field error on ``field``) when ``amount`` is above the
    highest limit of the ``actor``'s roles for ``kind``; answers that limit (``None`` when the kind
    has no limits or the actor is the system). Record it in the step's audit event. ``limits``
    (:func:`approval_limits` of the organisation and kind) and ``group_ids`` (:func:`role_groups`
    of the actor): given by a caller that read them once for many documents."""
    limits = approval_limits(organisation_id, kind) if limits is None else limits
    if not limits or not getattr(actor, "is_authenticated", False):
        return None
    groups = role_groups(actor) if group_ids is None else group_ids
    mine = [limit for group_id, limit in limits.items() if group_id in groups]
    allowed = max(mine) if mine else None
    if allowed is not None and amount <= allowed:
        return allowed
    if allowed is None:
        message = _(
            "Your role may not approve this kind of document (%(amount)s); someone with an approval limit must."
        ) % {"amount": money(amount)}
    else:
        message = _(
            "%(amount)s is above your approval limit of %(limit)s; someone whose role may approve more must do it."
        ) % {"amount": money(amount), "limit": money(allowed)}
    raise OverApprovalLimit(message, details={field: [message]})


def role_groups(actor: Actor) -> set[int]:
    """The ids of the actor's role groups (what approval limits are set for)."""
    return set(actor.groups.values_list("id", flat=True))


def within_limit(organisation_id: int | None, kind: str, amount: Decimal, *, actor: Actor) -> bool:
    """Whether ``actor`` may approve ``amount`` of ``kind`` (see :func:`require_within_limit`)."""
    try:
        require_within_limit(organisation_id, kind, amount, actor=actor)
    except OverApprovalLimit:
        return False
    return True
