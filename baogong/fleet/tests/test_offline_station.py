"""The fuel attendant's queue and sales from a phone's offline queue: the time made on the phone
is kept, a replay of the same device event gets the first answer, a sale that no longer fits (its
ticket served meanwhile, the tank's stock changed) is kept for review, never applied over it."""

from __future__ import annotations

import datetime as dt
import json

from django.utils import timezone

from baogong.core.models import FieldConflict
from baogong.fleet import actions
from baogong.fleet.models import FuelQueueTicket, FuelSale

QUEUE = {"HTTP_X_BAOGONG_QUEUE": "1"}


def queued(client, url, data, key):
    return client.post(url, {**data, "event_id": key}, HTTP_IDEMPOTENCY_KEY=key, **QUEUE)


def test_an_arrival_made_offline_keeps_its_time_and_is_recorded_once(client_for, make_tank):
    tank = make_tank()
    attendant = client_for("fuel")
    page = attendant.get(f"/fleet/stations/{tank.station_id}/")
    assert page["X-Baogong-Field"] == "1" and 'id="arrival-form"' in page.content.decode()
    made = timezone.now() - dt.timedelta(minutes=20)
    url = f"/fleet/stations/{tank.station_id}/arrival/"
    data = {"plate": "沪A12345", "made_at": made.isoformat()}
    first = queued(attendant, url, data, "dev5000000001")
    replay = queued(attendant, url, data, "dev5000000001")
    assert first.status_code == replay.status_code == 200 and first.content == replay.content
    ticket = FuelQueueTicket.objects.get()
    assert abs((ticket.arrived_at - made).total_seconds()) < 1
    future = queued(attendant, url, {"plate": "沪A12346", "made_at": "2999-01-01T00:00:00+00:00"}, "dev5000000002")
    assert future.status_code == 200
    assert FuelQueueTicket.objects.get(plate="沪A12346").arrived_at <= timezone.now()


def test_a_sale_on_a_ticket_served_meanwhile_is_kept_for_review(client_for, make_tank, user):
    tank = make_tank()
    ticket = actions.arrive_at_station(tank.station, "沪A12345", actor=user("fuel"))
    actions.sell_fuel(tank, "沪A12345", 40, "7.80", ticket=ticket, actor=user("fuel"))  # the other pump
    url = f"/fleet/stations/{tank.station_id}/sale/"
    data = {"tank": str(tank.pk), "plate": "沪A12345", "litres": "40", "unit_price": "7.80", "ticket": str(ticket.pk)}
    answer = queued(client_for("fuel"), url, {**data, "based_on": "T1:5000"}, "dev5000000003")
    assert answer.status_code == 409 and json.loads(answer.content)["code"] == "field_conflict"
    conflict = FieldConflict.objects.get(event_id="dev5000000003")
    assert (conflict.kind, conflict.site_id, conflict.based_on) == ("fuel_sale", tank.station_id, "T1:5000")
    assert FuelSale.objects.count() == 1


def test_a_sale_larger_than_the_tank_holds_now_is_kept_for_review(client_for, make_tank):
    tank = make_tank(litres=100)
    url = f"/fleet/stations/{tank.station_id}/sale/"
    data = {"tank": str(tank.pk), "plate": "沪B00001", "litres": "150", "unit_price": "7.80", "based_on": "T1:200"}
    answer = queued(client_for("fuel"), url, data, "dev5000000004")
    assert answer.status_code == 409
    assert FieldConflict.objects.get(event_id="dev5000000004").current == "T1:100"
    assert FuelSale.objects.count() == 0
    ok = queued(client_for("fuel"), url, {**data, "litres": "60"}, "dev5000000005")
    assert ok.status_code == 200 and FuelSale.objects.get().litres == 60


def test_a_queued_sale_with_bad_input_gets_field_errors(client_for, make_tank):
    tank = make_tank()
    url = f"/fleet/stations/{tank.station_id}/sale/"
    answer = queued(client_for("fuel"), url, {"tank": str(tank.pk), "plate": "", "litres": "-1"}, "dev5000000006")
    assert answer.status_code == 400 and {"plate", "litres"} <= set(json.loads(answer.content)["details"])
