"""Each role's home page: its task inbox, one card per kind of work waiting.

A card has a title, a count, a link to the filtered list, the first few rows (each with its link)
and an empty state that says what to do next. A card is built only when the user holds the
permissions of every link on it, so no link on a home page answers 403 (or 404).
The command centre (and users without a role of their own) keep the dashboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from baogong.core import history
from baogong.core.models import AuditEvent
from baogong.core.scoping import scoped
from baogong.distribution import queries as distribution_queries
from baogong.distribution.choices import ShipmentStatus
from baogong.fleet import queries as fleet_queries
from baogong.inventory import queries as inventory_queries
from baogong.inventory.choices import StocktakeStatus
from baogong.orgs import queries as org_queries
from baogong.orgs.choices import Role, SiteStatus
from baogong.people import queries as people_queries
from baogong.people.choices import IncidentStatus
from baogong.pharmacy import queries as pharmacy_queries
from baogong.pharmacy.choices import OrderStatus as PharmacyStatus
from baogong.procurement import queries as procurement_queries
from baogong.procurement.choices import OrderStatus as PurchaseStatus
from baogong.property import queries as property_queries
from baogong.property.choices import ApplicationStatus

ROWS = 5


@dataclass
class Link:
    label: str
    url: str
    icon: str = ""


@dataclass
class Row:
    label: str
    url: str | None = None
    detail: str = ""
    links: list[Link] = field(default_factory=list)


@dataclass
class Card:
    key: str
    title: Any  # str or a lazy translation
    count: int | None
    url: str | None
    rows: list[Row]
    empty: Any
    icon: str = "inbox"
    actions: list[Link] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max((self.count or 0) - len(self.rows), 0)


def _url(name: str, *args: Any, **params: Any) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(params)}" if params else url


def _perms(user: Any, *perms: str) -> bool:
    return all(user.has_perm(p) for p in perms)


def _action(user: Any, perm: str, label: str, name: str, icon: str = "plus-lg") -> list[Link]:
    return [Link(label, _url(name), icon)] if user.has_perm(perm) else []


def _card(
    key: str, title: str, qs: QuerySet[Any] | list[Any], url: str | None, row: Callable[[Any], Row], **kw: Any
) -> Card:
    if isinstance(qs, list):
        count, first = len(qs), qs[:ROWS]
    else:
        count, first = qs.count(), list(qs[:ROWS])
    return Card(key=key, title=title, count=count, url=url, rows=[row(obj) for obj in first], **kw)


def _map_link(site: Any) -> Link | None:
    if site.lat is None or site.lon is None:
        return None
    params = urlencode({"position": f"{site.lon},{site.lat}", "name": site.name, "src": "baogong", "callnative": 1})
    return Link(_("Map"), f"https://uri.amap.com/marker?{params}", "geo-alt")


# --- warehouse keeper ------------------------------------------------------------------------------
def put_away(user: Any, today: dt.date) -> Card | None:
    if not _perms(user, "inventory.view_stockbalance", "inventory.transfer_stock"):
        return None
    qs = inventory_queries.awaiting_put_away(user)
    transfer = reverse("inventory:transfer_stock")

    def row(b: Any) -> Row:
        params = {
            "warehouse": b.location.site.code,
            "item": b.item.code,
            "batch": b.lot.batch,
            "from_location": b.location.code,
            "qty": b.on_hand,
        }
        return Row(
            f"{b.item.name} × {b.on_hand}",
            _url("inventory:item_card", b.item_id),
            f"{b.location.site.name} · {b.location.name} · {b.lot.batch}",
            [Link(_("Put away"), f"{transfer}?{urlencode(params)}", "box-arrow-in-right")],
        )

    return _card(
        "put_away",
        _("Receipts to put away"),
        qs,
        _url("inventory:stock_list"),
        row,
        empty=_("Nothing waiting in the main store. Goods you receive wait here until you move them to a bin."),
        icon="box-arrow-in-down",
        actions=_action(user, "inventory.receive_stock", _("Receive goods"), "inventory:receive_stock"),
    )


def _shipment_row(user: Any, s: Any, *extra: Link) -> Row:
    url = _url("distribution:shipment_detail", s.pk) if user.has_perm("distribution.view_shipment") else None
    return Row(str(s), url, f"{s.warehouse.name} → {s.recipient.name}", list(extra))


def _shipments(user: Any, key: str, status: str, title: str, empty: str, perm: str, icon: str) -> Card | None:
    if not _perms(user, "distribution.view_shipment", perm):
        return None
    qs = distribution_queries.shipments_for(user).filter(status=status).order_by("created_at", "pk")
    return _card(
        key,
        title,
        qs,
        _url("distribution:shipment_list", status=status),
        lambda s: _shipment_row(user, s),
        empty=empty,
        icon=icon,
    )


def picks_due(user: Any, today: dt.date) -> Card | None:
    return _shipments(
        user,
        "picks_due",
        ShipmentStatus.PLANNED,
        _("Picks due"),
        _("No shipment waits to be picked. Shipments appear here when the dispatcher plans them."),
        "distribution.pick_shipment",
        "list-check",
    )


def counts(user: Any, today: dt.date) -> Card | None:
    if not user.has_perm("inventory.view_stocktake"):
        return None
    qs = inventory_queries.stocktakes_for(user).filter(status__in=[StocktakeStatus.COUNTING, StocktakeStatus.SUBMITTED])
    return _card(
        "counts",
        _("Stock counts in progress"),
        qs,
        _url("inventory:stocktake_list"),
        lambda st: Row(
            f"{st.warehouse.name} · {st.get_status_display()}",
            _url("inventory:stocktake_detail", st.pk),
            f"{st.created_at:%Y-%m-%d}",
        ),
        empty=_("No count in progress. Start a stocktake from the stocktakes page when a count is due."),
        icon="clipboard-check",
    )


def expiring_lots(user: Any, today: dt.date) -> Card | None:
    if not user.has_perm("inventory.view_stockbalance"):
        return None
    qs = inventory_queries.expiring(user).order_by("lot__expiry", "pk")
    return _card(
        "expiring",
        _("Lots expiring soon"),
        qs,
        _url("inventory:expiry_alerts"),
        lambda b: Row(
            f"{b.item.name} · {b.lot.batch}",
            _url("inventory:lot_card", b.lot_id),
            _("%(site)s · expires %(date)s · %(qty)s on hand")
            % {"site": b.location.site.name, "date": b.lot.expiry or "", "qty": b.on_hand},
        ),
        empty=_("No lot expires within the alert window."),
        icon="hourglass-split",
    )


# --- dispatcher ------------------------------------------------------------------------------------
def to_load(user: Any, today: dt.date) -> Card | None:
    return _shipments(
        user,
        "to_load",
        ShipmentStatus.PICKED,
        _("Picked, to load"),
        _("Nothing to load. Shipments appear here once the warehouse has picked them."),
        "distribution.load_shipment",
        "box-seam",
    )


def to_send(user: Any, today: dt.date) -> Card | None:
    return _shipments(
        user,
        "to_send",
        ShipmentStatus.LOADED,
        _("Loaded, to send"),
        _("Nothing to send. Loaded shipments wait here for dispatch."),
        "distribution.dispatch_shipment",
        "send",
    )


def to_plan(user: Any, today: dt.date) -> Card | None:
    card = _shipments(
        user,
        "to_plan",
        ShipmentStatus.PLANNED,
        _("Planned, waiting for picking"),
        _("No shipment planned. Plan shipments from confirmed allocations on the shipments page."),
        "distribution.plan_shipment",
        "signpost-split",
    )
    if card is not None and user.has_perm("fleet.view_routeplan"):
        card.actions = [Link(_("Route plans"), _url("fleet:plan_list"), "signpost-split")]
    return card


def on_the_road(user: Any, today: dt.date) -> Card | None:
    return _shipments(
        user,
        "on_the_road",
        ShipmentStatus.IN_TRANSIT,
        _("On the road"),
        _("No shipment is on the road."),
        "distribution.close_shipment",
        "truck",
    )


# --- driver ----------------------------------------------------------------------------------------
def my_stops(user: Any, today: dt.date) -> Card | None:
    if not user.has_perm("fleet.view_routeplan"):
        return None
    driver = fleet_queries.driver_of(user)
    stops = list(fleet_queries.driver_stops(driver, today)) if driver else []

    def row(stop: Any) -> Row:
        links = []
        if (map_link := _map_link(stop.site)) is not None:
            links.append(map_link)
        if stop.shipment is not None:
            links.append(
                Link(_("Proof of delivery"), _url("distribution:delivery_page", stop.shipment.pod_token), "pen")
            )
        eta = f"{stop.eta:%H:%M}" if stop.eta else ""
        return Row(f"{stop.position}. {stop.site.name}", None, " · ".join(x for x in (eta, stop.reference) if x), links)

    if driver is None:
        empty = _("Your account is not registered as a driver. Ask the dispatcher to register you.")
    else:
        empty = _("No stops for you today. The dispatcher assigns routes in the route plans.")
    card = Card(
        key="my_stops",
        title=_("My stops today"),
        count=len(stops),
        url=_url("fleet:plan_list"),
        rows=[row(s) for s in stops[: ROWS * 4]],
        empty=empty,
        icon="geo",
    )
    routes = {s.route.pk: s.route for s in stops if s.route is not None}
    card.actions = [
        Link(_("Route sheet %(plate)s") % {"plate": r.vehicle.plate}, _url("fleet:route_sheet", r.pk), "printer")
        for r in routes.values()
    ]
    return card


def check_in(user: Any, today: dt.date) -> Card | None:
    if not people_queries.has_person(user):
        return None
    return Card(
        key="check_in",
        title=_("Daily check-in"),
        count=None,
        url=_url("people:check_in"),
        rows=[],
        empty=_("Record your temperature and today's test before you start work."),
        icon="thermometer-half",
        actions=[Link(_("Check in now"), _url("people:check_in"), "thermometer-half")],
    )


def my_deliveries(user: Any, today: dt.date) -> Card | None:
    if not _perms(user, "pharmacy.deliver_order"):
        return None
    qs = pharmacy_queries.orders_for(user).filter(status=PharmacyStatus.OUT_FOR_DELIVERY).order_by("created_at", "pk")
    return _card(
        "my_deliveries",
        _("Medicine deliveries"),
        qs,
        _url("pharmacy:my_deliveries"),
        lambda o: Row(str(o.number), _url("pharmacy:my_deliveries"), o.pharmacy.name),
        empty=_("No medicine order is out for delivery."),
        icon="capsule",
    )


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


# --- QC --------------------------------------------------------------------------------------------
def lots_to_inspect(user: Any, today: dt.date) -> Card | None:
    if not _perms(user, "procurement.view_inspection", "procurement.add_inspection"):
        return None
    qs = procurement_queries.pending_inspection(user).select_related("lot__item", "order", "line__warehouse")
    return _card(
        "lots_to_inspect",
        _("Lots waiting for inspection"),
        qs,
        _url("procurement:inspection_list"),
        lambda r: Row(
            f"{r.lot.item.name} · {r.lot.batch}",
            _url("procurement:inspect_lot", r.pk),
            f"{r.order} · {r.line.warehouse.name} · {r.received_at:%Y-%m-%d}",
        ),
        empty=_("No lot waits for inspection. Lots received against purchase orders appear here."),
        icon="clipboard2-check",
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
        lambda pr: Row(pr[0].name, _url("people:person_detail", pr[0].pk), "；".join(str(r) for r in pr[1])),
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


# --- procurement -----------------------------------------------------------------------------------
def _purchase(
    key: str, statuses: list[str], title: Any, empty: Any, icon: str
) -> Callable[[Any, dt.date], Card | None]:
    def build(user: Any, today: dt.date) -> Card | None:
        if not user.has_perm("procurement.view_purchaseorder"):
            return None
        qs = procurement_queries.orders_for(user).filter(status__in=statuses).order_by("created_at", "pk")
        card = _card(
            key,
            title,
            qs,
            _url("procurement:order_list", status=statuses[0]),
            lambda o: Row(f"{o} · {o.supplier.name}", _url("procurement:order_detail", o.pk), o.get_status_display()),
            empty=empty,
            icon=icon,
        )
        if key == "orders_to_place":
            card.actions = _action(
                user, "procurement.add_purchaseorder", _("New purchase order"), "procurement:order_create"
            )
        return card

    return build


orders_to_place = _purchase(
    "orders_to_place",
    [PurchaseStatus.DRAFT, PurchaseStatus.PENDING_APPROVAL],
    gettext_lazy("Orders to place"),
    gettext_lazy("No requisition waits. Raise a purchase order when stock runs short."),
    "cart-plus",
)
orders_to_receive = _purchase(
    "orders_to_receive",
    [PurchaseStatus.APPROVED, PurchaseStatus.PARTIALLY_RECEIVED],
    gettext_lazy("Orders to receive"),
    gettext_lazy("No order is awaiting delivery."),
    "truck",
)


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


Builder = Callable[[Any, dt.date], "Card | None | list[Card]"]

ROLE_CARDS: dict[str, list[Builder]] = {
    Role.WAREHOUSE_KEEPER: [put_away, picks_due, counts, expiring_lots, check_in],
    Role.DISPATCHER: [to_plan, to_load, to_send, on_the_road, check_in],
    Role.DRIVER: [my_stops, check_in, my_deliveries],
    Role.PHARMACIST: [orders_to_review, orders_to_settle, check_in],
    Role.QC_INSPECTOR: [lots_to_inspect, check_in],
    Role.HEALTH_OFFICER: [overdue_tests, open_incidents, sites_under_control, check_in],
    Role.PROPERTY_OFFICER: [
        applications_submitted,
        applications_handled,
        applications_checked,
        applications_returned,
        check_in,
    ],
    Role.TENANT: [my_leases, my_applications, my_letters],
    Role.FUEL_ATTENDANT: [fuel_queue, check_in],
    Role.PROCUREMENT_OFFICER: [orders_to_place, orders_to_receive, check_in],
    Role.AUDITOR: [recent_audit, reports],
}

# Roles that keep the command dashboard as their home.
DASHBOARD_ROLES = frozenset({Role.COMMAND_CENTRE, Role.READ_ONLY})


def roles_of(user: Any) -> list[str]:
    return sorted(set(user.groups.values_list("name", flat=True)))


def has_inbox(user: Any) -> bool:
    """Whether the user's home is the inbox: a role with an inbox and none that keeps the dashboard."""
    if user.is_superuser:
        return False
    roles = roles_of(user)
    return bool(roles) and not DASHBOARD_ROLES.intersection(roles) and any(r in ROLE_CARDS for r in roles)


def cards_for(user: Any, today: dt.date) -> list[Card]:
    """The cards of every role of the user, each once, in the roles' order."""
    seen: set[Builder] = set()
    builders: list[Builder] = []
    for role in roles_of(user):
        for builder in ROLE_CARDS.get(role, []):
            if builder not in seen:
                seen.add(builder)
                builders.append(builder)
    cards: list[Card] = []
    for builder in builders:
        made = builder(user, today)
        if isinstance(made, Card):
            cards.append(made)
        elif isinstance(made, Iterable):
            cards.extend(made)
    return cards
