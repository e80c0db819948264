"""Roles are Django groups; this table is the one place that says what each may do.

Apps add their permission codenames here as they land. ``sync_roles`` makes the groups match
the table exactly (it is run by ``baogong bootstrap`` and after every migration in tests).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from baogong.orgs.choices import Role

VIEW_BASE = ["orgs.view_organisation", "orgs.view_site", "orgs.view_administrativearea"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.COMMAND_CENTRE: [
        *VIEW_BASE,
        "orgs.add_site",
        "orgs.change_site",
        "orgs.set_site_status",
        "orgs.import_sites",
        "core.view_auditevent",
        "core.view_job",
        "core.run_demo_job",
        "core.reveal_personal_data",
    ],
    Role.WAREHOUSE_KEEPER: [*VIEW_BASE, "core.view_job"],
    Role.PROCUREMENT_OFFICER: [*VIEW_BASE, "core.view_job"],
    Role.QC_INSPECTOR: [*VIEW_BASE, "core.view_job"],
    Role.DISPATCHER: [*VIEW_BASE, "core.view_job"],
    Role.DRIVER: [*VIEW_BASE],
    Role.PHARMACIST: [*VIEW_BASE, "core.view_job"],
    Role.HEALTH_OFFICER: [*VIEW_BASE, "orgs.set_site_status", "core.view_job", "core.reveal_personal_data"],
    Role.PROPERTY_OFFICER: [*VIEW_BASE, "core.view_job"],
    Role.AUDITOR: [*VIEW_BASE, "core.view_auditevent", "core.view_job"],
    Role.TENANT: [],
    Role.READ_ONLY: [*VIEW_BASE],
}


def all_role_permissions() -> dict[str, list[str]]:
    """This table merged with every app's ``permissions.py`` ``ROLE_PERMISSIONS``."""
    from baogong.registry import app_modules

    merged: dict[str, list[str]] = {str(role): list(perms) for role, perms in ROLE_PERMISSIONS.items()}
    for _app, module in app_modules("permissions"):
        for role, perms in getattr(module, "ROLE_PERMISSIONS", {}).items():
            merged.setdefault(str(role), [])
            merged[str(role)].extend(p for p in perms if p not in merged[str(role)])
    return merged


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def sync_roles() -> dict[str, int]:
    counts = {}
    for role, perms in all_role_permissions().items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set([_permission(p) for p in perms])
        counts[group.name] = len(perms)
    return counts
