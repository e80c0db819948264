"""Helpers the fleet actions share."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from baogong.core.audit import Actor
from baogong.core.scoping import user_scope
from baogong.orgs.models import Organisation


def _clean(obj: Any, error: type[Exception], exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise error(details=exc.message_dict) from exc  # type: ignore[call-arg]


def _check_org(organisation: Organisation | None, actor: Actor, error: type[Exception], field: str) -> None:
    if organisation is None or not user_scope(actor).allows(organisation_id=organisation.pk):
        raise error(details={field: [_("You may not manage records of this organisation.")]})  # type: ignore[call-arg]
