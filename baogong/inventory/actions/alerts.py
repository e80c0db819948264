"""Expiry alerts: each site told once per lot and band."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.inventory.choices import STOCK_KINDS
from baogong.inventory.models import Lot, StockBalance
from baogong.orgs.models import Site

# --- expiry alerts ---------------------------------------------------------------------------


def _expiry_threshold(expiry: dt.date, on_date: dt.date, days: tuple[int, int]) -> int | None:
    """The alert band a lot is in on ``on_date``: 0 (expired), the short or the long band, or None."""
    left = (expiry - on_date).days
    long, short = days
    if left < 0:
        return 0
    if left <= short:
        return short
    if left <= long:
        return long
    return None


@retry_on_conflict
def send_expiry_alerts(on_date: dt.date, *, actor: Actor) -> list[dict[str, Any]]:
    """Tell each site holding stock of lots that entered an expiry band (the long and short alerts,
    30 and 7 days by default, or expired) since the last alert — once per lot and band.

    One notification per site names its lots and quantities (link: the site's expiry page); each
    lot remembers the band it was last alerted for (``Lot.expiry_alerted_days``), so a missed day is
    caught up the next day and nothing is said twice. Audited per site. Returns one summary per site.
    """
    from baogong.core.models import Notification
    from baogong.core.notify import notify
    from baogong.inventory.queries import expiry_alert_days

    days = expiry_alert_days()
    limit = on_date + dt.timedelta(days=days[0])
    sent: list[dict[str, Any]] = []
    with transaction.atomic(durable=True):
        rows = (
            StockBalance.objects.filter(
                location__kind__in=list(STOCK_KINDS), on_hand__gt=0, lot__expiry__isnull=False, lot__expiry__lte=limit
            )
            .values_list("location__site_id", "lot_id", "lot__expiry", "lot__expiry_alerted_days", "on_hand")
            .order_by("location__site_id", "lot__expiry", "lot_id")
        )
        due: dict[int, int] = {}  # lot id -> band to record
        per_site: dict[int, dict[int, int]] = {}  # site id -> {lot id: on hand}
        for site_id, lot_id, expiry, alerted, on_hand in rows:
            band = _expiry_threshold(expiry, on_date, days) if expiry is not None else None
            if band is None or (alerted is not None and alerted <= band):
                continue
            due[lot_id] = band
            lots = per_site.setdefault(site_id, {})
            lots[lot_id] = lots.get(lot_id, 0) + on_hand
        if not due:
            return sent
        lots_by_id = {lot.pk: lot for lot in Lot.objects.select_related("item").filter(pk__in=due)}
        for site in Site.objects.filter(pk__in=per_site).order_by("pk"):
            held = per_site[site.pk]
            expired = [lid for lid in held if due[lid] == 0]
            lines = []
            for lot_id, qty in held.items():
                lot = lots_by_id[lot_id]
                state = (_("expired on %(date)s") if due[lot_id] == 0 else _("expires on %(date)s")) % {
                    "date": lot.expiry.isoformat() if lot.expiry else ""
                }
                lines.append(f"- {lot.item.code} {lot.item.name} #{lot.batch}: {qty} {lot.item.unit}, {state}")
            title = _("%(site)s: %(count)s lots expiring or expired") % {"site": site.name, "count": len(held)}
            notify(
                title,
                "\n".join(lines)
                + (
                    "\n\n" + _("Expired stock cannot be issued; move it to quarantine or destruction.")
                    if expired
                    else ""
                ),
                level=Notification.Level.CRITICAL if expired else Notification.Level.WARNING,
                link=f"/inventory/expiry/?warehouse={site.code}",
                organisation_id=site.organisation_id,
                site_id=site.pk,
            )
            summary = {
                "site": site.code,
                "lots": [
                    {"item": lots_by_id[lid].item.code, "batch": lots_by_id[lid].batch, "qty": qty, "band": due[lid]}
                    for lid, qty in held.items()
                ],
            }
            audit.record("send_expiry_alerts", site, actor=actor, after={"on": on_date.isoformat(), **summary})
            sent.append(summary)
        for band in sorted(set(due.values())):
            Lot.objects.filter(pk__in=[lid for lid, b in due.items() if b == band]).update(expiry_alerted_days=band)
    return sent
