"""Maker ≠ checker for a price, as users meet it: the command centre changes an item's reference
price on the item page, the price waits; a second person approves it on a phone; the item and
its price history show the new price."""

from decimal import Decimal

import pytest

from tests.e2e.conftest import login, no_horizontal_scroll


def second_commander():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from baogong.orgs.models import Grant

    user = get_user_model().objects.create_user(username="commander-2", password="baogong-demo")
    user.groups.add(Group.objects.get(name="command_centre"))
    Grant.objects.create(user=user, is_global=True)
    return user


@pytest.mark.django_db(transaction=True)
def test_a_price_change_waits_for_a_second_person(base, live_server, new_page):
    from baogong.catalog.actions import create_item
    from baogong.catalog.models import Category
    from baogong.core.audit import SystemActor

    item = create_item(
        {
            "code": "N95",
            "name": "医用防护口罩",
            "unit": "盒",
            "category": Category.objects.get(code="EPI-MASK"),
            "standard": "GB 19083-2010",
            "reference_price": Decimal("250"),
        },
        actor=SystemActor("e2e"),
    )
    was = item.reference_price
    second_commander()
    maker = new_page()
    login(maker, live_server.url, "commander")
    maker.goto(f"{live_server.url}/catalog/items/{item.pk}/edit/")
    maker.fill("input[name=reference_price]", "123.45")
    with maker.expect_navigation(wait_until="load"):
        maker.click("main form button.btn-primary[type=submit]")
    assert "等待另一人批准" in maker.inner_text("body")
    item.refresh_from_db()
    assert item.reference_price == was
    maker.goto(f"{live_server.url}/policy-changes/")
    assert maker.locator("button[value=withdraw]").count() == 1  # the maker may only withdraw
    assert maker.locator("button[value=approve]").count() == 0

    checker = new_page(phone=True)
    login(checker, live_server.url, "commander-2")
    checker.goto(f"{live_server.url}/policy-changes/")
    body = checker.inner_text("body")
    assert "123.45" in body and "参考价" in body and no_horizontal_scroll(checker)
    checker.screenshot(path="test-artifacts/policy-change-phone.png", full_page=True)
    with checker.expect_navigation(wait_until="load"):
        checker.click("button[value=approve]")
    assert "已批准并生效" in checker.inner_text("body")
    item.refresh_from_db()
    assert item.reference_price == Decimal("123.45")
    maker.goto(f"{live_server.url}/catalog/items/{item.pk}/")
    assert "123.45" in maker.inner_text("body")
