"""What the people actions share: the scope of an input organisation or site, model validation, clock skew."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from baogong.core.audit import Actor
from baogong.core.errors import ValidationFailed
from baogong.core.scoping import require_scope, user_scope
from baogong.orgs.models import Organisation, Site
from baogong.people.choices import PersonKind
from baogong.people.errors import PersonInvalid
from baogong.people.models import Person

CLOCK_SKEW = dt.timedelta(minutes=5)


def _check_scope(
    actor: Actor, organisation: Organisation | None, site: Site | None, error: type[ValidationFailed]
) -> None:
    scope = user_scope(actor)
    if scope.is_global:
        return
    if organisation is not None and scope.allows(organisation_id=organisation.pk):
        return
    if site is not None and scope.allows(organisation_id=site.organisation_id, site_id=site.pk):
        return
    raise error(details={"organisation": [_("Not one of your organisations or sites.")]})


def _full_clean(person: Person, errors: dict[str, list[str]], error: type[PersonInvalid]) -> None:
    if not (person.name or "").strip():
        errors.setdefault("name", []).append("请填写姓名 / give the name")
    if person.kind not in PersonKind.values:
        errors.setdefault("kind", []).append(
            "人员类型应为员工、志愿者、居民或宾客 / staff, volunteer, resident or guest"
        )
    try:
        person.full_clean(exclude=["id_number_hash"], validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            if field not in errors:
                errors.setdefault(field, []).extend(messages)
    if person.organisation_id is None and person.home_site_id is None:
        errors.setdefault("organisation", []).append("请填写所属单位或所在场所 / give an organisation or a home site")
    if errors:
        raise error(details=errors)


def require_person_scope(actor: Actor, person: Person) -> None:
    """Refuse (``NotFound``) to act on a person outside the actor's scope (by organisation or home site)."""
    require_scope(actor, organisation_id=person.organisation_id, site_id=person.home_site_id)


def require_site_scope(actor: Actor, site: Site) -> None:
    """Refuse (``NotFound``) to act on a record of a site outside the actor's scope."""
    require_scope(actor, organisation_id=site.organisation_id, site_id=site.pk)
