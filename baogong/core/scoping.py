"""Organisation scoping (invariant 5): one helper every list, detail, form and API query uses.

A scoped model names the fields that tie a row to an organisation and/or a site:

    scope_org_field = "organisation_id"     # or a lookup path: "warehouse__organisation_id"
    scope_site_field = "site_id"

A user's :class:`UserScope` (which organisations and sites were granted, resolved by the
provider named in ``settings.BAOGONG_SCOPE_PROVIDER``) turns into one ``Q``. A record outside
it is, for that user, simply not there: detail views answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404
from django.utils.module_loading import import_string

from baogong.core.authz import remembered
from baogong.core.errors import NotFound

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class UserScope:
    is_global: bool = False
    organisation_ids: frozenset[int] = field(default_factory=frozenset)
    site_ids: frozenset[int] = field(default_factory=frozenset)

    def allows(self, *, organisation_id: int | None = None, site_id: int | None = None) -> bool:
        if self.is_global:
            return True
        return (organisation_id is not None and organisation_id in self.organisation_ids) or (
            site_id is not None and site_id in self.site_ids
        )


NO_SCOPE = UserScope()


def scope_by_fields(record: models.Model) -> tuple[int | None, int | None]:
    """A record's (organisation id, site id), read along the lookups its model declares for scoping:
    ``scope_org_field = "warehouse__organisation_id"`` is ``record.warehouse.organisation_id``.

    A model whose audit events are scoped as its rows are says ``audit_scope = scope_by_fields``
    (``core.audit.record`` files each event under the pair it answers)."""

    def read(path: str | None) -> int | None:
        if not path:
            return None
        value: Any = record
        for name in path.split("__"):
            value = getattr(value, name)
        return value

    return read(getattr(record, "scope_org_field", None)), read(getattr(record, "scope_site_field", None))


def user_scope(user: Any) -> UserScope:
    """The scope of ``user``, cached on the user object for the request."""
    if getattr(user, "is_system", False):
        return UserScope(is_global=True)
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_SCOPE
    cached = getattr(user, "_baogong_scope", None)
    if cached is not None:
        return cached
    provider = import_string(settings.BAOGONG_SCOPE_PROVIDER)
    scope: UserScope = remembered(user, "scope", lambda: provider(user))
    user._baogong_scope = scope
    return scope


def scope_q(model: type[models.Model], scope: UserScope) -> models.Q:
    if scope.is_global:
        return models.Q()
    org_field = getattr(model, "scope_org_field", None)
    site_field = getattr(model, "scope_site_field", None)
    if org_field is None and site_field is None:
        raise TypeError(f"{model.__name__} declares no scope_org_field or scope_site_field")
    q = models.Q(pk__in=[])
    if org_field:
        q |= models.Q(**{f"{org_field}__in": scope.organisation_ids})
    if site_field:
        q |= models.Q(**{f"{site_field}__in": scope.site_ids})
    return q


def scoped(queryset: models.QuerySet[M], user: Any) -> models.QuerySet[M]:
    """``queryset`` limited to what ``user`` may see."""
    scope = user_scope(user)
    if scope.is_global:
        return queryset
    return queryset.filter(scope_q(queryset.model, scope))


def get_scoped_or_404(queryset: models.QuerySet[M], user: Any, **lookup: Any) -> M:
    try:
        return scoped(queryset, user).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def has_global_scope(user: Any) -> bool:
    return user_scope(user).is_global


def require_scope(actor: Any, *, organisation_id: int | None = None, site_id: int | None = None) -> None:
    """Refuse, inside an action, to act on a record outside the actor's scope (invariant 5).

    The record is, for that actor, not there: the refusal is the domain's ``NotFound`` (404 in
    the API, the friendly 404 page in the browser), never 403 or the record's content. System
    actors (the worker, public links, the replay) act everywhere. Entry points may still look
    records up scoped first; this keeps the rule true for every caller of the action.
    """
    if not user_scope(actor).allows(organisation_id=organisation_id, site_id=site_id):
        raise NotFound()
