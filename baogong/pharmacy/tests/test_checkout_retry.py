"""The residents' no-login checkout is safe to retry: the form carries a submission token and a
retried (or doubled) submission with it answers the orders already placed, never a second order."""

import re

import pytest
from django.test import Client

from baogong.core.models import AuditEvent
from baogong.pharmacy.models import Order

from .conftest import checkout_data


@pytest.fixture
def otc(make_drug, stock, fees):
    drug = make_drug("布洛芬缓释胶囊", sale_class="otc_b", insurance_class="A", unit_price="12.50")
    stock("PH-02", drug, 10)
    return drug


def form_token(page) -> str:
    match = re.search(r'name="client_token" value="([^"]+)"', page.content.decode())
    assert match, "the checkout form carries a submission token"
    return match.group(1)


def test_retried_checkout_with_the_same_token_places_one_order(otc, youyi):
    resident = Client()
    resident.post("/pharmacy/order/basket/", {"drug": otc.pk, "qty": 2})
    token = form_token(resident.get("/pharmacy/order/checkout/"))
    assert len(token) >= 16

    first = resident.post("/pharmacy/order/checkout/", checkout_data(youyi, client_token=token))
    retry = resident.post("/pharmacy/order/checkout/", checkout_data(youyi, client_token=token))

    assert (first.status_code, retry.status_code) == (302, 302)
    assert retry["Location"] == first["Location"] == "/pharmacy/order/placed/"
    order = Order.objects.get()
    assert AuditEvent.objects.filter(verb="place_order").count() == 1
    placed = resident.get("/pharmacy/order/placed/").content.decode()
    assert order.number in placed and order.access_code in placed


def test_retry_from_a_fresh_session_still_answers_the_first_order(otc, youyi):
    """The first answer was lost with the session cookie: the retry still finds the placed order."""
    resident = Client()
    resident.post("/pharmacy/order/basket/", {"drug": otc.pk, "qty": 1})
    token = form_token(resident.get("/pharmacy/order/checkout/"))
    resident.post("/pharmacy/order/checkout/", checkout_data(youyi, client_token=token))

    other = Client()
    other.post("/pharmacy/order/basket/", {"drug": otc.pk, "qty": 1})
    retry = other.post("/pharmacy/order/checkout/", checkout_data(youyi, client_token=token))

    assert retry.status_code == 302
    order = Order.objects.get()
    assert order.number in other.get("/pharmacy/order/placed/").content.decode()
    assert other.session["pharmacy_basket"] == {}


def test_a_new_token_is_a_new_order(otc, youyi):
    resident = Client()
    resident.post("/pharmacy/order/basket/", {"drug": otc.pk, "qty": 1})
    first_token = form_token(resident.get("/pharmacy/order/checkout/"))
    resident.post("/pharmacy/order/checkout/", checkout_data(youyi, client_token=first_token))
    resident.post("/pharmacy/order/basket/", {"drug": otc.pk, "qty": 1})
    second_token = form_token(resident.get("/pharmacy/order/checkout/"))
    assert second_token != first_token
    resident.post("/pharmacy/order/checkout/", checkout_data(youyi, client_token=second_token))
    assert Order.objects.count() == 2


def test_a_refused_submission_keeps_its_token_and_can_be_fixed(otc, youyi):
    resident = Client()
    resident.post("/pharmacy/order/basket/", {"drug": otc.pk, "qty": 1})
    token = form_token(resident.get("/pharmacy/order/checkout/"))
    refused = resident.post("/pharmacy/order/checkout/", checkout_data(youyi, client_token=token, phone="12"))
    assert refused.status_code == 400
    assert form_token(refused) == token
    assert Order.objects.count() == 0
    fixed = resident.post("/pharmacy/order/checkout/", checkout_data(youyi, client_token=token))
    assert fixed.status_code == 302
    assert Order.objects.count() == 1


def test_retry_with_the_idempotency_key_header_replays_the_answer(otc, youyi):
    resident = Client()
    resident.post("/pharmacy/order/basket/", {"drug": otc.pk, "qty": 1})
    token = form_token(resident.get("/pharmacy/order/checkout/"))
    data = checkout_data(youyi, client_token=token)
    first = resident.post("/pharmacy/order/checkout/", data, HTTP_IDEMPOTENCY_KEY=f"checkout-{token}")
    retry = resident.post("/pharmacy/order/checkout/", data, HTTP_IDEMPOTENCY_KEY=f"checkout-{token}")
    assert (first.status_code, retry.status_code) == (302, 302)
    assert Order.objects.count() == 1
