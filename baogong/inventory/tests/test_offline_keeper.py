"""The keeper's counts and put-aways from a phone's offline queue: answered in JSON, a replay of
the same device event gets the first answer, an event based on stock that moved meanwhile is kept
for review (a FieldConflict), never applied over it."""

from __future__ import annotations

import json

import pytest

from baogong.core.models import AuditEvent, FieldConflict
from baogong.inventory import actions, queries
from baogong.inventory.models import StockBalance, StocktakeLine, Transfer
from baogong.inventory.tests.conftest import SYSTEM, in_days

QUEUE = {"HTTP_X_BAOGONG_QUEUE": "1"}


@pytest.fixture
def bin_a(txq):
    return actions.create_location(txq, code="A-01", name="A-01", actor=SYSTEM)


@pytest.fixture
def counting(txq, n95, receive, bin_a):
    receive(txq, n95, "N-1", 40, expiry=in_days(100), location=bin_a)
    return actions.start_stocktake(txq, actor=SYSTEM)


def queued(client, url, data, key):
    return client.post(url, {**data, "event_id": key}, HTTP_IDEMPOTENCY_KEY=key, **QUEUE)


def test_a_queued_count_is_recorded_once_and_a_replay_gets_the_first_answer(client_for, counting):
    keeper = client_for("warehouse")
    url = f"/inventory/stocktakes/{counting.pk}/"
    page = keeper.get(url)
    line = counting.lines.get()
    (version,) = queries.count_versions([line]).values()
    assert page["X-Baogong-Field"] == "1" and f'name="v-{line.pk}" value="{version}"' in page.content.decode()
    data = {f"count-{line.pk}": "38", f"v-{line.pk}": version}
    first = queued(keeper, url, data, "dev3000000001")
    replay = queued(keeper, url, data, "dev3000000001")
    assert first.status_code == replay.status_code == 200 and first.content == replay.content
    assert json.loads(first.content) == {"status": "recorded", "stocktake": counting.number, "counted": 1}
    assert StocktakeLine.objects.get(pk=line.pk).counted_qty == 38
    assert AuditEvent.objects.filter(verb="record_counts").count() == 1


def test_a_count_made_before_the_stock_moved_is_kept_for_review(client_for, counting, txq, n95, receive, bin_a):
    keeper = client_for("warehouse")
    url = f"/inventory/stocktakes/{counting.pk}/"
    line = counting.lines.get()
    (seen,) = queries.count_versions([line]).values()
    receive(txq, n95, "N-1", 5, expiry=in_days(100), location=bin_a)  # meanwhile, 5 more arrive in the bin
    answer = queued(keeper, url, {f"count-{line.pk}": "40", f"v-{line.pk}": seen}, "dev3000000002")
    assert answer.status_code == 409 and json.loads(answer.content)["code"] == "field_conflict"
    assert StocktakeLine.objects.get(pk=line.pk).counted_qty is None  # not applied
    conflict = FieldConflict.objects.get(event_id="dev3000000002")
    assert (conflict.kind, conflict.site_id, conflict.permission) == (
        "stock_count",
        txq.pk,
        "inventory.approve_stocktake",
    )
    assert conflict.payload == {"A-01 N95 N-1": "40"} and "A-01" in conflict.reason
    # the same line sent again with the count it already has is no change of the phone's
    actions.record_counts(counting, {line.pk: 45}, actor=SYSTEM)
    same = queued(keeper, url, {f"count-{line.pk}": "45", f"v-{line.pk}": seen}, "dev3000000003")
    assert same.status_code == 200


def test_a_count_sent_after_the_sheet_was_submitted_is_kept_for_review(client_for, counting):
    keeper = client_for("warehouse")
    line = counting.lines.get()
    (seen,) = queries.count_versions([line]).values()
    actions.record_counts(counting, {line.pk: 40}, actor=SYSTEM)
    actions.submit_stocktake(counting, actor=SYSTEM)
    url = f"/inventory/stocktakes/{counting.pk}/"
    answer = queued(keeper, url, {f"count-{line.pk}": "39", f"v-{line.pk}": seen}, "dev3000000004")
    assert answer.status_code == 409
    assert StocktakeLine.objects.get(pk=line.pk).counted_qty == 40


def test_a_bad_queued_count_is_refused_with_a_field_error(client_for, counting):
    keeper = client_for("warehouse")
    line = counting.lines.get()
    answer = queued(keeper, f"/inventory/stocktakes/{counting.pk}/", {f"count-{line.pk}": "ten"}, "dev3000000005")
    assert answer.status_code == 400 and f"count-{line.pk}" in json.loads(answer.content)["details"]


@pytest.fixture
def in_main(txq, n95, receive):
    receive(txq, n95, "N-2", 30, expiry=in_days(100))
    return StockBalance.objects.get(location__site=txq, location__code="MAIN", lot__batch="N-2")


def test_a_queued_put_away_moves_the_stock_once(client_for, in_main, bin_a):
    keeper = client_for("warehouse")
    page = keeper.get("/inventory/put-away/")
    assert page["X-Baogong-Field"] == "1" and f'id="put-{in_main.pk}"' in page.content.decode()
    data = {"to_location": str(bin_a.pk), "qty": "10", "based_on": "30"}
    url = f"/inventory/put-away/{in_main.pk}/"
    first = queued(keeper, url, data, "dev3000000010")
    replay = queued(keeper, url, data, "dev3000000010")
    assert first.status_code == replay.status_code == 200 and first.content == replay.content
    second = queued(keeper, url, {**data, "based_on": "30"}, "dev3000000011")  # the same phone, next box
    assert second.status_code == 200
    assert Transfer.objects.count() == 2
    assert StockBalance.objects.get(pk=in_main.pk).on_hand == 10
    assert StockBalance.objects.get(location=bin_a, lot=in_main.lot).on_hand == 20


def test_a_put_away_of_stock_that_left_meanwhile_is_kept_for_review(client_for, in_main, bin_a, txq):
    keeper = client_for("warehouse")
    other = actions.create_location(txq, code="B-01", name="B-01", actor=SYSTEM)
    actions.put_away(in_main.pk, other, 25, actor=SYSTEM)  # a colleague put most of it away online
    url = f"/inventory/put-away/{in_main.pk}/"
    answer = queued(keeper, url, {"to_location": str(bin_a.pk), "qty": "30", "based_on": "30"}, "dev3000000012")
    assert answer.status_code == 409
    conflict = FieldConflict.objects.get(event_id="dev3000000012")
    assert conflict.kind == "put_away" and conflict.current == "5"
    assert StockBalance.objects.get(pk=in_main.pk).on_hand == 5
    assert not StockBalance.objects.filter(location=bin_a).exists()


def test_a_put_away_to_a_bin_of_another_site_is_refused(client_for, in_main):
    keeper = client_for("warehouse")
    answer = queued(keeper, f"/inventory/put-away/{in_main.pk}/", {"to_location": "", "qty": "3"}, "dev3000000013")
    assert answer.status_code == 400 and "to_location" in json.loads(answer.content)["details"]
