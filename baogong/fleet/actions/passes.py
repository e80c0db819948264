"""Vehicle passes: register, revoke, expiry alerts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.notify import notify
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope
from baogong.fleet import locks
from baogong.fleet.actions._common import _check_org
from baogong.fleet.errors import PassInvalid
from baogong.fleet.models import (
    VehiclePass,
)
from baogong.orgs.models import AdministrativeArea

PASS_FIELDS = ["number", "vehicle", "route_description", "valid_from", "valid_until", "issuing_body"]

# --- passes ---------------------------------------------------------------------------------


@retry_on_conflict
def register_pass(
    data: Mapping[str, Any], areas: Iterable[AdministrativeArea], *, scan: UploadedFile | None = None, actor: Actor
) -> VehiclePass:
    """Record a vehicle pass (number, vehicle, areas, validity, issuing body, scanned copy)."""
    area_list = list(areas)
    with transaction.atomic(durable=True):
        vpass = VehiclePass(**{k: v for k, v in data.items() if k in PASS_FIELDS})
        errors: dict[str, list[str]] = {}
        try:
            vpass.full_clean(exclude=["scan"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if not area_list:
            errors.setdefault("areas", []).append(_("A pass covers at least one area."))
        if (
            vpass.valid_from
            and vpass.valid_until
            and vpass.valid_until < vpass.valid_from
            and "valid_until" not in errors
        ):
            errors.setdefault("valid_until", []).append(_("The pass ends before it starts."))
        if errors:
            raise PassInvalid(details=errors)
        _check_org(vpass.vehicle.organisation, actor, PassInvalid, "vehicle")
        if scan is not None:
            vpass.scan.save(scan.name or "scan", scan, save=False)
        vpass.save()
        vpass.areas.set(area_list)
        fields = [f.name for f in VehiclePass._meta.concrete_fields if f.name != "scan"]
        after = {
            **audit.snapshot(vpass, fields),
            "scan": vpass.scan.name or None,
            "areas": sorted(a.code for a in area_list),
        }
        audit.record("register_pass", vpass, actor=actor, after=after)
        return vpass


@retry_on_conflict
def revoke_pass(vpass: VehiclePass, *, actor: Actor) -> VehiclePass:
    with transaction.atomic(durable=True):
        locked = locks.pass_for_update(vpass.pk)
        require_scope(actor, organisation_id=locked.vehicle.organisation_id)
        if locked.revoked:
            raise PassInvalid(details={"revoked": [_("The pass is already revoked.")]})
        locked.revoked = True
        locked.save(update_fields=["revoked", "updated_at"])
        audit.record("revoke_pass", locked, actor=actor, before={"revoked": False}, after={"revoked": True})
        return locked


@retry_on_conflict
def send_pass_expiry_alerts(on_date: dt.date, *, within_days: int = 3, actor: Actor) -> list[VehiclePass]:
    """Notify the owners of passes that end within ``within_days`` of ``on_date`` (once per pass)."""
    from baogong.core.models import Notification
    from baogong.fleet.queries import passes_expiring

    sent: list[VehiclePass] = []
    with transaction.atomic(durable=True):
        due = passes_expiring(VehiclePass.objects.filter(expiry_alert_sent=False), on_date, within_days)
        for vpass in locks.passes_for_update(due):
            title = _("Vehicle pass %(number)s of %(plate)s ends on %(date)s") % {
                "number": vpass.number,
                "plate": vpass.vehicle.plate,
                "date": vpass.valid_until.isoformat(),
            }
            notify(
                title,
                _("Renew the pass before it ends, or the vehicle cannot be dispatched."),
                level=Notification.Level.WARNING,
                link=f"/fleet/vehicles/{vpass.vehicle_id}/",
                organisation_id=vpass.vehicle.organisation_id,
            )
            vpass.expiry_alert_sent = True
            vpass.save(update_fields=["expiry_alert_sent", "updated_at"])
            audit.record("send_pass_expiry_alert", vpass, actor=actor, after={"valid_until": vpass.valid_until})
            sent.append(vpass)
    return sent
