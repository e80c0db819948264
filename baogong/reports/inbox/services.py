"""The cards of the service roles: pharmacist, health officer, property officer, tenant, fuel
attendant and auditor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from baogong.core import history
from baogong.core.bilingual import in_reader_language
from baogong.core.models import AuditEvent
from baogong.core.scoping import scoped
from baogong.fleet import queries as fleet_queries
from baogong.orgs import governance
from baogong.orgs import queries as org_queries
from baogong.orgs.choices import ChangeStatus, SiteStatus
from baogong.people import queries as people_queries
from baogong.people.choices import IncidentStatus
from baogong.pharmacy import queries as pharmacy_queries
from baogong.pharmacy.choices import OrderStatus as PharmacyStatus
from baogong.property import queries as property_queries
from baogong.property.choices import ApplicationStatus
from baogong.reports.inbox.cards import ROWS, Card, Link, Row, _action, _card, _perms, _url


# --- pharmacist ------------------------------------------------------------------------------------
def orders_to_review(user: Any, today: dt.date) -> Card | None:
    if not _perms(user, "pharmacy.view_order", "pharmacy.review_order"):
        return None
    return _card(
        "orders_to_review",
        _("Orders to review"),
        pharmacy_queries.review_queue(user),
        _url("pharmacy:order_list", status=PharmacyStatus.PLACED),
        lambda o: Row(str(o.number), _url("pharmacy:order_detail", o.pk), o.pharmacy.name),
        empty=_("No order waits for review. Phone orders you take appear here too."),
        icon="clipboard2-pulse",
        actions=_action(
            user, "pharmacy.take_phone_order", _("Take a phone order"), "pharmacy:phone_order", "telephone"
        ),
    )


def orders_to_settle(user: Any, today: dt.date) -> Card | None:
    if not _perms(user, "pharmacy.view_order", "pharmacy.settle_order"):
        return None
    qs = pharmacy_queries.unsettled_orders(user)
    return _card(
        "orders_to_settle",
        _("Orders to settle"),
        qs,
        _url("pharmacy:order_list", status=PharmacyStatus.DELIVERED),
        lambda o: Row(
            str(o.number), _url("pharmacy:order_detail", o.pk), f"{o.pharmacy.name} · {o.get_status_display()}"
        ),
        empty=_("Every approved order is settled."),
        icon="cash-coin",
    )


# --- health officer --------------------------------------------------------------------------------
def overdue_tests(user: Any, today: dt.date) -> Card | None:
    if not user.has_perm("people.view_person"):
        return None
    rows = people_queries.overdue_tests(user, today)
    return _card(
        "overdue_tests",
        _("Overdue tests"),
        rows,
        _url("people:overdue_tests"),
        lambda pr: Row(
            pr[0].name, _url("people:person_detail", pr[0].pk), "；".join(in_reader_language(r) for r in pr[1])
        ),
        empty=_("Everyone on duty is tested. Import test results when a batch comes back."),
        icon="clipboard2-pulse",
    )


def open_incidents(user: Any, today: dt.date) -> Card | None:
    if not user.has_perm("people.view_person"):
        return None
    qs = people_queries.incidents_for(user).filter(status=IncidentStatus.OPEN).order_by("-opened_at", "-pk")
    return _card(
        "open_incidents",
        _("Open incidents"),
        qs,
        _url("people:incident_list", status=IncidentStatus.OPEN),
        lambda i: Row(str(i.person), _url("people:incident_detail", i.pk), f"{i.opened_at:%Y-%m-%d}"),
        empty=_("No open incident."),
        icon="exclamation-octagon",
    )


def sites_under_control(user: Any, today: dt.date) -> Card | None:
    if not user.has_perm("orgs.view_site"):
        return None
    controlled = [SiteStatus.UNDER_CONTROL, SiteStatus.LOCKED_DOWN]
    qs = org_queries.sites_for(user).filter(status__in=controlled).order_by("status", "code")
    return _card(
        "sites_under_control",
        _("Sites under control"),
        qs,
        _url("orgs:site_list", status=SiteStatus.UNDER_CONTROL),
        lambda s: Row(s.name, _url("orgs:site_detail", s.pk), s.get_status_display()),
        empty=_("No site is under control or locked down."),
        icon="shield-exclamation",
    )


# --- property officer ------------------------------------------------------------------------------
def _applications(status: str, title: Any, empty: Any, icon: str) -> Callable[[Any, dt.date], Card | None]:
    def build(user: Any, today: dt.date) -> Card | None:
        if not _perms(user, "property.view_reliefapplication", "property.handle_reliefapplication"):
            return None
        qs = property_queries.applications_for(user).filter(status=status).order_by("submitted_on", "pk")
        return _card(
            f"applications_{status}",
            title,
            qs,
            _url("property:application_list", status=status),
            lambda a: Row(f"{a.number} · {a.tenant.name}", _url("property:application_detail", a.pk), str(a.lease)),
            empty=empty,
            icon=icon,
        )

    return build


applications_submitted = _applications(
    ApplicationStatus.SUBMITTED,
    gettext_lazy("Applications to handle"),
    gettext_lazy("No new application. Tenants' applications appear here when submitted."),
    "inbox",
)
applications_handled = _applications(
    ApplicationStatus.HANDLED,
    gettext_lazy("Applications to check"),
    gettext_lazy("No application waits for checking."),
    "search",
)
applications_checked = _applications(
    ApplicationStatus.CHECKED,
    gettext_lazy("Applications to approve"),
    gettext_lazy("No application waits for approval."),
    "check2-square",
)
applications_returned = _applications(
    ApplicationStatus.RETURNED,
    gettext_lazy("Returned for documents"),
    gettext_lazy("No application waits for the tenant's documents."),
    "arrow-return-left",
)


# --- tenant ----------------------------------------------------------------------------------------
def my_leases(user: Any, today: dt.date) -> Card | None:
    if not user.has_perm("property.view_lease"):
        return None
    qs = property_queries.portal_leases(user)
    return _card(
        "my_leases",
        _("My leases"),
        qs,
        _url("property:portal"),
        lambda lease: Row(str(lease), _url("property:lease_detail", lease.pk), lease.tenant.name),
        empty=_("No lease is registered for you. Ask the property office to register your lease."),
        icon="building",
    )


def my_applications(user: Any, today: dt.date) -> Card | None:
    if not user.has_perm("property.view_reliefapplication"):
        return None
    qs = property_queries.portal_applications(user)
    return _card(
        "my_applications",
        _("My rent-relief applications"),
        qs,
        _url("property:portal"),
        lambda a: Row(str(a.number), _url("property:application_detail", a.pk), a.get_status_display()),
        empty=_("No application yet. Open one of your leases and apply for rent relief there."),
        icon="house-check",
    )


def my_letters(user: Any, today: dt.date) -> Card | None:
    if not user.has_perm("property.view_reliefapplication"):
        return None
    decided = [ApplicationStatus.APPROVED, ApplicationStatus.REJECTED]
    qs = property_queries.portal_applications(user).filter(status__in=decided)
    return _card(
        "my_letters",
        _("Decision letters"),
        qs,
        _url("property:portal"),
        lambda a: Row(
            str(a.number),
            _url("property:decision_letter", a.pk),
            a.get_status_display(),
            [Link(_("PDF"), _url("property:decision_letter", a.pk), "file-earmark-pdf")],
        ),
        empty=_("No decision yet. The letter appears here once your application is decided."),
        icon="envelope-paper",
    )


# --- fuel attendant --------------------------------------------------------------------------------
def fuel_queue(user: Any, today: dt.date) -> list[Card]:
    if not user.has_perm("fleet.view_fueltank"):
        return []
    cards = []
    for station in fleet_queries.stations_for(user):
        url = _url("fleet:station_detail", station.pk)

        def ticket_row(t: Any, url: str = url) -> Row:
            green = _("Green channel") + " · " if t.green_channel else ""
            return Row(t.plate, url, f"{green}{timezone.localtime(t.arrived_at):%H:%M}")

        def shift_row(s: Any, url: str = url) -> Row:
            return Row(s.attendant, url, s.get_slot_display())

        cards.append(
            _card(
                f"queue_{station.pk}",
                _("Queue at %(station)s") % {"station": station.name},
                fleet_queries.waiting_queue(station),
                url,
                ticket_row,
                empty=_("No vehicle is waiting. Add arriving vehicles to the queue on the station page."),
                icon="fuel-pump",
            )
        )
        cards.append(
            _card(
                f"shift_{station.pk}",
                _("Today's shifts at %(station)s") % {"station": station.name},
                list(fleet_queries.shifts_on(station, today)),
                url,
                shift_row,
                empty=_("Nobody is rostered today. Fill in the roster on the station page."),
                icon="calendar-week",
            )
        )
    return cards


# --- auditor ---------------------------------------------------------------------------------------
def recent_audit(user: Any, today: dt.date) -> Card | None:
    if not user.has_perm("core.view_auditevent"):
        return None
    qs = scoped(AuditEvent.objects.select_related("actor"), user)
    url = _url("core:audit_list")
    return Card(
        key="recent_audit",
        title=_("Latest changes"),
        count=None,
        url=url,
        rows=[
            Row(
                f"{history.action(e.verb)} · {e.object_repr}" if e.object_repr else history.action(e.verb),
                url,
                f"{timezone.localtime(e.at):%Y-%m-%d %H:%M} · {(e.actor.first_name or e.actor_label) if e.actor else _('System')}",
            )
            for e in qs.order_by("-at", "-pk")[:ROWS]
        ],
        empty=_("Nothing recorded yet."),
        icon="journal-text",
    )


def reports(user: Any, today: dt.date) -> Card | None:
    if not user.has_perm("reports.view_reports"):
        return None
    rows = [
        Row(_("Daily report"), _url("reports:daily")),
        Row(_("Work summary"), _url("reports:summary")),
        Row(_("Command dashboard"), _url("reports:dashboard")),
    ]
    return Card(key="reports", title=_("Reports"), count=None, url=None, rows=rows, empty="", icon="file-earmark-text")


# --- command centre: prices and policies waiting for a second person -----------------------------
def changes_to_decide(user: Any, today: dt.date) -> Card | None:
    """Price and policy changes another person proposed, waiting for this one's approval."""
    if not _perms(user, "orgs.view_changerequest", "orgs.decide_changerequest"):
        return None
    qs = governance.changes_for(user).filter(status=ChangeStatus.PENDING).exclude(proposed_by_id=user.pk)
    return _card(
        "changes_to_decide",
        _("Price and policy changes to approve"),
        qs,
        _url("orgs:change_list"),
        lambda c: Row(
            c.subject, f"{_url('orgs:change_list')}#change-{c.pk}", f"{_who(c.proposed_by)} · {c.proposed_at:%Y-%m-%d}"
        ),
        empty=_("No price or policy change waits for you."),
        icon="check2-square",
    )


def _who(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else str(_("the system"))
