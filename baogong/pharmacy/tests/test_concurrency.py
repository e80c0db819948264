"""On PostgreSQL: residents racing for the last units never oversell; an order is approved (and
picked) once however many pharmacists press the button together."""

from __future__ import annotations

import pytest
from django.db import connection

from baogong.catalog import actions as catalog_actions
from baogong.core.tests.threads import run_threads
from baogong.inventory.choices import MoveReason
from baogong.inventory.models import StockMove
from baogong.inventory.queries import available
from baogong.orgs.models import Site
from baogong.pharmacy import actions
from baogong.pharmacy.errors import OrderStateInvalid, OutOfStock
from baogong.pharmacy.models import Order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 8


@pytest.fixture(autouse=True)
def categories(base, system):
    """A transactional test empties the tables afterwards, data-migration rows included."""
    catalog_actions.ensure_categories(actor=system)


def test_residents_racing_for_the_last_units_never_oversell(make_drug, stock, order_input, system):
    assert connection.vendor == "postgresql"
    drug = make_drug("连花清瘟胶囊")
    for code in ("PH-01", "PH-02"):
        stock(code, drug, 5)
    refused = []

    def body(i: int) -> None:
        try:
            actions.place_order(order_input([(drug, 2)]), actor=system)
        except OutOfStock:
            refused.append(i)

    assert run_threads(THREADS, body) == []
    # 10 units at two pharmacies: at most four orders of 2 fit; every order holds exactly its units
    orders = Order.objects.count()
    assert orders <= 4 and orders + len(refused) == THREADS
    sites = [Site.objects.get(code=c).pk for c in ("PH-01", "PH-02")]
    left = available(sites, [drug.item_id])
    assert sum(left.values()) == 10 - 2 * orders
    assert all(0 <= n for n in left.values())


def test_simultaneous_approvals_pick_the_order_once(make_drug, stock, order_input, system, user):
    drug = make_drug("维生素C片")
    stock("PH-02", drug, 10)
    order = actions.place_order(order_input([(drug, 3)]), actor=system)[0]
    pharmacist = user("pharmacist")
    refused = []

    def body(i: int) -> None:
        try:
            actions.approve_order(Order.objects.get(pk=order.pk), actor=pharmacist)
        except OrderStateInvalid:
            refused.append(i)

    assert run_threads(THREADS, body) == []
    assert len(refused) == THREADS - 1
    picked = StockMove.objects.filter(document_type="pharmacy_order", document_id=order.pk, reason=MoveReason.DISPENSE)
    assert sum(m.qty for m in picked) == 3
    assert available([Site.objects.get(code="PH-02").pk], [drug.item_id]) == {
        (Site.objects.get(code="PH-02").pk, drug.item_id): 7
    }


def test_batches_racing_on_the_same_orders_approve_and_deliver_each_once(make_drug, stock, order_input, system, user):
    """Pharmacists' batches (``approve_orders``, ``confirm_deliveries``) over the same orders, in
    different orders: the orders are locked in pk order, each is approved, picked, delivered once."""
    drug = make_drug("布洛芬缓释胶囊")
    stock("PH-02", drug, 20)
    orders = [actions.place_order(order_input([(drug, 1)]), actor=system)[0] for _n in range(4)]
    pharmacist = user("pharmacist")
    approved: list = []

    def approve(i: int) -> None:
        batch = orders if i % 2 else list(reversed(orders))
        approved.extend(r for r in actions.approve_orders(batch, actor=pharmacist) if isinstance(r, Order))

    assert run_threads(THREADS, approve) == []
    assert sorted(o.pk for o in approved) == sorted(o.pk for o in orders)
    assert StockMove.objects.filter(reason=MoveReason.DISPENSE).count() == 4
    out = [actions.dispatch_order(o, pharmacist, actor=pharmacist) for o in orders]
    delivered: list = []

    def deliver(i: int) -> None:
        handovers = [(o, o.handover_code) for o in (out if i % 2 else list(reversed(out)))]
        delivered.extend(r for r in actions.confirm_deliveries(handovers, actor=pharmacist) if isinstance(r, Order))

    assert run_threads(THREADS, deliver) == []
    assert len(delivered) == 4 and StockMove.objects.filter(reason=MoveReason.DELIVERY).count() == 4
    assert set(Order.objects.values_list("status", flat=True)) == {"delivered"}
