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
        "orgs.change_organisation",
        "orgs.set_site_status",
        "orgs.import_sites",
        "core.view_auditevent",
        "core.view_job",
        "core.run_demo_job",
        "core.reveal_personal_data",
        "orgs.view_changerequest",
        "orgs.decide_changerequest",
        "orgs.view_approvallimit",
        "core.view_notificationdelivery",
        "core.view_notificationchannel",
        "core.add_notificationchannel",
        "core.change_notificationchannel",
    ],
    Role.WAREHOUSE_KEEPER: [*VIEW_BASE, "core.view_job"],
    Role.PROCUREMENT_OFFICER: [*VIEW_BASE, "core.view_job"],
    Role.QC_INSPECTOR: [*VIEW_BASE, "core.view_job"],
    Role.DISPATCHER: [*VIEW_BASE, "core.view_job"],
    Role.DRIVER: [*VIEW_BASE],
    Role.FUEL_ATTENDANT: [],  # only the fuel-station permissions (fleet/permissions.py)
    Role.PHARMACIST: [*VIEW_BASE, "core.view_job"],
    Role.HEALTH_OFFICER: [*VIEW_BASE, "orgs.set_site_status", "core.view_job", "core.reveal_personal_data"],
    Role.PROPERTY_OFFICER: [*VIEW_BASE, "core.view_job"],
    Role.AUDITOR: [
        *VIEW_BASE,
        "core.view_auditevent",
        "core.view_job",
        "orgs.view_changerequest",
        "orgs.view_approvallimit",
    ],
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


def missing_permissions() -> list[str]:
    """Role permissions that name no existing permission (a bug: tested to be empty)."""
    existing = {f"{a}.{c}" for a, c in Permission.objects.values_list("content_type__app_label", "codename")}
    return sorted({p for perms in all_role_permissions().values() for p in perms if p not in existing})


@transaction.atomic
def sync_roles() -> dict[str, int]:
    """Make each role's group hold exactly its permissions (unknown names are skipped and
    reported by :func:`missing_permissions`)."""
    index = {f"{p.content_type.app_label}.{p.codename}": p for p in Permission.objects.select_related("content_type")}
    counts = {}
    for role, perms in all_role_permissions().items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set([index[p] for p in perms if p in index])
        counts[group.name] = len(perms)
    return counts
