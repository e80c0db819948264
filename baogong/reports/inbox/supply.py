"""The cards of the supply roles: warehouse keeper, dispatcher, driver, QC and procurement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from baogong.distribution import queries as distribution_queries
from baogong.distribution.choices import RequestStatus, ShipmentStatus
from baogong.fleet import queries as fleet_queries
from baogong.inventory import queries as inventory_queries
from baogong.inventory.choices import StocktakeStatus
from baogong.people import queries as people_queries
from baogong.pharmacy import queries as pharmacy_queries
from baogong.pharmacy.choices import OrderStatus as PharmacyStatus
from baogong.procurement import queries as procurement_queries
from baogong.procurement.choices import OrderStatus as PurchaseStatus
from baogong.reports.inbox.cards import ROWS, Card, Link, Row, _action, _card, _map_link, _perms, _url


# --- command centre (above its dashboard) ---------------------------------------------------------
def requests_to_approve(user: Any, today: dt.date) -> Card | None:
    if not _perms(user, "distribution.view_request", "distribution.approve_request"):
        return None
    qs = (
        distribution_queries.requests_for(user)
        .filter(status=RequestStatus.SUBMITTED)
        .select_related("recipient")
        .order_by("submitted_at", "pk")
    )
    return _card(
        "requests_to_approve",
        _("Requests to approve"),
        qs,
        _url("distribution:request_list", status=RequestStatus.SUBMITTED),
        lambda r: Row(str(r), _url("distribution:request_detail", r.pk), r.recipient.name),
        empty=_("No request waits for approval."),
        icon="check2-square",
    )


# --- warehouse keeper ------------------------------------------------------------------------------
def put_away(user: Any, today: dt.date) -> Card | None:
    if not _perms(user, "inventory.view_stockbalance", "inventory.transfer_stock"):
        return None
    qs = inventory_queries.awaiting_put_away(user)
    transfer = _url("inventory:transfer_stock")

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
