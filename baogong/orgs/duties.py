"""Separation of duties (maker ≠ checker), shared by every app that approves documents.

An app's action names the people who made the document (and took the earlier steps) and asks
:func:`require_another_person` before the checker's step. A small organisation may waive the rule
(``Organisation.allows_one_person_approval``, set by :func:`baogong.orgs.actions.set_one_person_approval`,
audited); the answer then says so, and the caller records it in its own audit event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from baogong.core.audit import Actor
from baogong.orgs.errors import SamePerson
from baogong.orgs.models import Organisation


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
