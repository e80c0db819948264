"""Resolve a user's grants into the organisation and site ids they may see."""

from __future__ import annotations

from typing import Any

from baogong.core.scoping import UserScope
from baogong.orgs.models import Grant, Organisation, Site


def descendants(organisation_ids: set[int]) -> set[int]:
    """The given organisations and every organisation below them."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Organisation.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    result: set[int] = set()
    stack = list(organisation_ids)
    while stack:
        pk = stack.pop()
        if pk in result:
            continue
        result.add(pk)
        stack.extend(children.get(pk, []))
    return result


def user_scope(user: Any) -> UserScope:
    if user.is_superuser:
        return UserScope(is_global=True)
    grants = list(Grant.objects.filter(user=user).values_list("is_global", "organisation_id", "site_id"))
    if any(g[0] for g in grants):
        return UserScope(is_global=True)
    org_ids = descendants({g[1] for g in grants if g[1] is not None})
    site_ids = {g[2] for g in grants if g[2] is not None}
    if org_ids:
        site_ids |= set(Site.objects.filter(organisation_id__in=org_ids).values_list("id", flat=True))
    return UserScope(is_global=False, organisation_ids=frozenset(org_ids), site_ids=frozenset(site_ids))
