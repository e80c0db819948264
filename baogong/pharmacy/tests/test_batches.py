"""A batch of orders approved, a batch of hand-overs confirmed: the same statuses, stock moves and
audit events as one by one; a refused order (no prescription, a wrong code, another pharmacy's
order) does not stop the others."""

from __future__ import annotations

from decimal import Decimal

import pytest

from baogong.core.errors import DomainError, NotFound
from baogong.core.models import AuditEvent
from baogong.inventory.models import StockBalance, StockMove
from baogong.orgs.models import Site
from baogong.pharmacy import actions
from baogong.pharmacy.actions.handling import DOCUMENT_TYPE
from baogong.pharmacy.errors import HandoverCodeWrong, PrescriptionRefused
from baogong.pharmacy.models import Order

from .conftest import photo


@pytest.fixture
def drugs(make_drug, stock, fees):
    otc = make_drug("布洛芬缓释胶囊", sale_class="otc_b", insurance_class="A", unit_price="12.50")
    rx = make_drug("苯磺酸氨氯地平片", sale_class="rx", insurance_class="B", unit_price="33.33")
    for code in ("PH-01", "PH-02"):
        stock(code, otc, 20)
        stock(code, rx, 20)
    return otc, rx


def _place(drugs, order_input, system):
    """Three OTC orders and one that needs a prescription (refused by a batch approval)."""
    otc, rx = drugs
    orders = [actions.place_order(order_input([(otc, 1 + n)]), actor=system)[0] for n in range(3)]
    rx_input = order_input([(rx, 1)], rx_warning_accepted=True, prescription_photo=photo())
    orders.insert(1, actions.place_order(rx_input, actor=system)[0])
    return orders


def _one_by_one(action, calls):
    out = []
    for args in calls:
        try:
            out.append(action(*args))
        except DomainError as exc:
            out.append(exc)
    return out


def _summary(results):
    def of(r):
        if isinstance(r, DomainError):
            return type(r).__name__
        order = Order.objects.get(pk=r.pk)
        moves = StockMove.objects.filter(document_type=DOCUMENT_TYPE, document_id=order.pk).order_by("pk")
        verbs = AuditEvent.objects.filter(object_id=str(order.pk), verb__in=["approve_order", "confirm_delivery"])
        return (
            order.status,
            [(m.reason, m.qty, m.from_location.kind, m.to_location.kind) for m in moves],
            sorted(verbs.values_list("verb", flat=True)),
            AuditEvent.objects.filter(verb="move_stock", after__reference=order.number).count(),
        )

    return [of(r) for r in results]


def _balances():
    """PH-02's stock by location kind and drug: (on hand, reserved)."""
    totals: dict[tuple[str, str], list[int]] = {}
    rows = StockBalance.objects.filter(location__site__code="PH-02").values_list(
        "location__kind", "item__code", "on_hand", "reserved"
    )
    for kind, item, on_hand, reserved in rows:
        total = totals.setdefault((kind, item), [0, 0])
        total[0] += on_hand
        total[1] += reserved
    return totals


def _delta(before, after):
    return {k: (v[0] - before.get(k, [0, 0])[0], v[1] - before.get(k, [0, 0])[1]) for k, v in after.items()}


def test_a_batch_approves_and_delivers_as_one_by_one_does(drugs, order_input, system, user):
    pharmacist, courier = user("pharmacist"), user("driver")
    start = _balances()
    each = _place(drugs, order_input, system)
    approved_each = _one_by_one(lambda o: actions.approve_order(o, actor=pharmacist), [(o,) for o in each])
    out_each = [actions.dispatch_order(o, courier, actor=pharmacist) for o in approved_each if isinstance(o, Order)]
    codes_each = [(o, o.handover_code) for o in out_each]
    codes_each[1] = (codes_each[1][0], "0000" if codes_each[1][0].handover_code != "0000" else "1111")
    delivered_each = _one_by_one(lambda o, c: actions.confirm_delivery(o, c, actor=courier), codes_each)
    after_each = _balances()

    bulk = _place(drugs, order_input, system)
    approved = actions.approve_orders(bulk, actor=pharmacist)
    assert [type(r) for r in approved] == [Order, PrescriptionRefused, Order, Order]
    out = [actions.dispatch_order(o, courier, actor=pharmacist) for o in approved if isinstance(o, Order)]
    codes = [(o, o.handover_code) for o in out]
    codes[1] = (codes[1][0], "0000" if codes[1][0].handover_code != "0000" else "1111")
    delivered = actions.confirm_deliveries(codes, actor=courier)
    assert [type(r) for r in delivered] == [Order, HandoverCodeWrong, Order]

    assert _summary(approved) == _summary(approved_each)
    assert _summary(delivered) == _summary(delivered_each)
    # the stock each path moved at PH-02 is the same
    assert _delta(after_each, _balances()) == _delta(start, after_each)


def test_an_order_outside_the_scope_is_refused_and_the_others_pass(drugs, order_input, system, user):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from baogong.core.audit import SystemActor
    from baogong.orgs import actions as org_actions

    orders = _place(drugs, order_input, system)
    outsider = get_user_model().objects.create_user(username="ph01-pharmacist", password="x")  # noqa: S106
    outsider.groups.add(Group.objects.get(name="pharmacist"))
    org_actions.grant_access(outsider, site=Site.objects.get(code="PH-01"), actor=SystemActor("test"))
    results = actions.approve_orders([orders[0]], actor=outsider)
    assert [type(r) for r in results] == [NotFound]
    results = actions.approve_orders([orders[0], orders[0], orders[2]], actor=user("pharmacist"))
    assert [type(r).__name__ for r in results] == ["Order", "OrderStateInvalid", "Order"]
    assert Order.objects.get(pk=orders[0].pk).status == "ready"


def test_a_lot_held_after_ordering_refuses_only_its_order(drugs, order_input, system, user, make_drug, stock):
    """The shared move is refused (a lot quarantined after it was reserved): the batch falls back to
    the orders one by one, so only the order of that lot is refused and keeps its reservation."""
    from baogong.inventory.errors import LotNotReleased
    from baogong.inventory.models import Lot, Reservation

    otc, _rx = drugs
    held = make_drug("对乙酰氨基酚片", sale_class="otc_b", insurance_class="A", unit_price="8.00")
    stock("PH-02", held, 5, batch="H1")
    stock("PH-01", held, 5, batch="H1")
    orders = [actions.place_order(order_input([(drug, 1)]), actor=system)[0] for drug in (otc, held, otc)]
    Lot.objects.filter(item=held.item).update(qc_status="quarantined")
    results = actions.approve_orders(orders, actor=user("pharmacist"))
    assert [type(r) for r in results] == [Order, LotNotReleased, Order]
    assert [Order.objects.get(pk=o.pk).status for o in orders] == ["ready", "placed", "ready"]
    assert Reservation.objects.filter(reference=orders[1].number, status="active").count() == 1
    assert AuditEvent.objects.filter(verb="approve_order").count() == 2
    assert StockMove.objects.filter(document_type=DOCUMENT_TYPE, reason="dispense").count() == 2


def _paid(settlement_or_error):
    r = settlement_or_error
    if isinstance(r, DomainError):
        return type(r).__name__
    event = AuditEvent.objects.get(verb="settle_order", object_id=str(r.pk))
    varying = ("id", "order_id", "transaction_number", "created_at", "updated_at")
    kept = {k: v for k, v in event.after.items() if k not in varying}
    return (r.method, r.total, r.eligible, r.personal_current, r.personal_prior, r.pooled, r.self_pay, kept)


def _handed(order_or_error):
    r = order_or_error
    if isinstance(r, DomainError):
        return type(r).__name__
    order = Order.objects.get(pk=r.pk)
    event = AuditEvent.objects.get(verb="dispatch_order", object_id=str(order.pk))
    return (order.status, order.courier_id, bool(order.dispatched_at), event.before, event.after)


def _settle_inputs(orders, prefix):
    """Insurance for each order; the second has no transaction number (refused)."""
    return [
        actions.SettleInput(
            o,
            method="insurance",
            transaction_number="" if n == 1 else f"{prefix}{n}",
            current_year=Decimal("20.00"),
            prior_years=Decimal("5.00"),
        )
        for n, o in enumerate(orders)
    ]


def test_a_batch_settles_and_dispatches_as_one_by_one_does(drugs, order_input, system, user):
    pharmacist, courier = user("pharmacist"), user("driver")
    otc, _rx = drugs
    each = [actions.place_order(order_input([(otc, 1 + n)]), actor=system)[0] for n in range(3)]
    each = [o for o in actions.approve_orders(each, actor=pharmacist)]
    paid_each = _one_by_one(
        lambda p: actions.settle_order(
            p.order,
            method=p.method,
            transaction_number=p.transaction_number,
            current_year=p.current_year,
            prior_years=p.prior_years,
            actor=pharmacist,
        ),
        [(p,) for p in _settle_inputs(each, "YB-A")],
    )
    # the third order is handed over alone first: dispatching it again is refused
    actions.dispatch_order(each[2], courier, actor=pharmacist)
    out_each = _one_by_one(lambda o: actions.dispatch_order(o, courier, actor=pharmacist), [(o,) for o in each])

    bulk = [actions.place_order(order_input([(otc, 1 + n)]), actor=system)[0] for n in range(3)]
    bulk = [o for o in actions.approve_orders(bulk, actor=pharmacist)]
    paid = actions.settle_orders(_settle_inputs(bulk, "YB-B"), actor=pharmacist)
    assert [type(r).__name__ for r in paid] == ["Settlement", "SettlementInvalid", "Settlement"]
    actions.dispatch_orders([bulk[2]], courier, actor=pharmacist)
    out = actions.dispatch_orders(bulk, courier, actor=pharmacist)
    assert [type(r).__name__ for r in out] == ["Order", "Order", "OrderStateInvalid"]

    assert [_paid(r) for r in paid] == [_paid(r) for r in paid_each]
    assert [_handed(r) for r in out] == [_handed(r) for r in out_each]
    # settling an order twice is refused in the batch as alone
    again = actions.settle_orders(_settle_inputs(bulk[:1], "YB-C"), actor=pharmacist)
    assert [type(r).__name__ for r in again] == ["AlreadySettled"]


def test_a_courier_who_may_not_deliver_refuses_every_order(drugs, order_input, system, user):
    from baogong.pharmacy.errors import OrderInvalid

    otc, _rx = drugs
    orders = actions.approve_orders(
        [actions.place_order(order_input([(otc, 1)]), actor=system)[0] for _n in range(2)], actor=user("pharmacist")
    )
    idle = user("driver")
    idle.is_active = False
    results = actions.dispatch_orders(orders, idle, actor=user("pharmacist"))
    assert [type(r) for r in results] == [OrderInvalid, OrderInvalid]
    assert {Order.objects.get(pk=o.pk).status for o in orders} == {"ready"}
    assert not AuditEvent.objects.filter(verb="dispatch_order").exists()
