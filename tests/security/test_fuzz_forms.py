"""Hypothesis against the main forms of the web pages: the public request form, receiving and
issuing stock, the relief application, a new person and a new site. Each field gets a valid value
or arbitrary text, numbers and dates (huge, negative, malformed, NUL characters, years no one
means). Whatever arrives: never a 500, and a refused form writes nothing (row counts and the audit
log unchanged).

Deterministic (derandomized, a bounded number of examples); each example runs in a savepoint that
is rolled back, so every example meets the same data. Not marked ``security``: runs on both
databases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from baogong.core.audit import SystemActor
from baogong.core.models import AuditEvent

SYSTEM = SystemActor("tests")
FUZZ = settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e30",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999",
    "NaN",
    "Infinity",
    "0001-01-01",
    "9999-12-31",
    "2022-02-30",
    "2022-13-45",
    "２０２２-０４-０１",
    "１２３",
    "=1+1",
    "\u3000",
    "a\x00b",
    "<script>alert(1)</script>",
    "x" * 5000,
]
TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat),
)


def field(valid: Any) -> st.SearchStrategy[Any]:
    """A valid value half the time, else something hostile."""
    return st.one_of(st.just(valid), TEXT)


def counts(models: list[Any]) -> tuple[int, ...]:
    return (*(m.objects.count() for m in models), AuditEvent.objects.count())


def in_savepoint(work: Callable[[], Any]) -> Any:
    """``work()`` in a block rolled back afterwards (marked like the test's own block, so the
    actions' durable transactions run inside it as they do inside the test's transaction)."""
    block = transaction.atomic()
    block._from_testcase = True
    with block:
        try:
            return work()
        finally:
            transaction.set_rollback(True)


def check(client: Any, url: str, data: dict[str, Any], models: list[Any], done: Callable[[Any], bool]) -> None:
    def post() -> None:
        before = counts(models)
        response = client.post(url, data)
        assert response.status_code < 500, (data, response.status_code)
        if not done(response):
            assert counts(models) == before, data

    in_savepoint(post)


def redirected(response: Any) -> bool:
    return response.status_code == 302


@pytest.fixture(autouse=True)
def _no_value_refused_by_the_database(caplog: Any) -> Any:
    """A value that passed the form and was refused by the database (answered 400 by the last
    line of defence, logged) is a missing bound: the test fails."""
    caplog.set_level("WARNING", logger="baogong.input")
    yield
    assert [r.getMessage() for r in caplog.records if r.name == "baogong.input"] == []


@pytest.fixture
def n95(base):
    from baogong.catalog import actions as catalog_actions

    return catalog_actions.create_item(
        {"code": "N95", "name": "医用防护口罩", "unit": "盒", "reference_price": Decimal("250")}, actor=SYSTEM
    )


def test_the_public_request_form_never_errors_and_a_refusal_writes_nothing(client, settings, n95):
    from baogong.distribution import actions
    from baogong.distribution.models import Request, RequestLine
    from baogong.orgs.models import Site

    settings.BAOGONG_RATE_LIMITS = {**settings.BAOGONG_RATE_LIMITS, "public": "off"}
    link = actions.create_request_link(Site.objects.get(code="SO-310113007"), actor=SYSTEM)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()

    @FUZZ
    @given(
        st.fixed_dictionaries(
            {
                "item_0": field("N95"),
                "qty_0": field("12"),
                "needed_by_0": field(tomorrow),
                "item_1": field(""),
                "qty_1": field(""),
                "name": field("王敏"),
                "phone": field("13912345678"),
                "note": field(""),
            }
        )
    )
    def run(data):
        # the answer to a filed request is its number on a page (200); a refusal is a 400
        check(client, f"/r/{link.token}/", data, [Request, RequestLine], lambda r: r.status_code == 200)

    run()


def test_the_receive_form_never_errors_and_a_refusal_writes_nothing(client_for, n95):
    from baogong.inventory.models import Lot, Receipt, StockMove
    from baogong.orgs.models import Site

    client = client_for("warehouse")
    warehouse = Site.objects.get(code="WH-TXQ")

    @FUZZ
    @given(
        st.fixed_dictionaries(
            {
                "warehouse": field(str(warehouse.pk)),
                "reference": field("DN-1"),
                "supplier": field("上海某医疗用品公司"),
                "qc_status": field("quarantine"),
                "lines-TOTAL_FORMS": field("1"),
                "lines-INITIAL_FORMS": st.just("0"),
                "lines-0-item": field("N95"),
                "lines-0-batch": field("B1"),
                "lines-0-expiry": field((dt.date.today() + dt.timedelta(days=300)).isoformat()),
                "lines-0-qty": field("100"),
                "lines-0-unit_cost": field("2.50"),
                "lines-0-location": field(""),
            }
        )
    )
    def run(data):
        check(client, "/inventory/receive/", data, [Receipt, Lot, StockMove], redirected)

    run()


def test_the_issue_form_never_errors_and_a_refusal_writes_nothing(client_for, n95):
    from baogong.inventory import actions as inventory_actions
    from baogong.inventory.models import Issue, StockMove
    from baogong.orgs.models import Site

    warehouse = Site.objects.get(code="WH-TXQ")
    inventory_actions.receive_stock(
        warehouse,
        [inventory_actions.ReceiptLineInput(item=n95, batch="B1", qty=500, unit_cost=Decimal("2.00"))],
        actor=SYSTEM,
        qc_status="released",
    )
    client = client_for("warehouse")

    @FUZZ
    @given(
        st.fixed_dictionaries(
            {
                "warehouse": field(str(warehouse.pk)),
                "reference": field("OUT-1"),
                "recipient": field("FH-FCL"),
                "lines-TOTAL_FORMS": field("1"),
                "lines-INITIAL_FORMS": st.just("0"),
                "lines-0-item": field("N95"),
                "lines-0-qty": field("10"),
                "lines-0-batch": field(""),
            }
        )
    )
    def run(data):
        check(client, "/inventory/issue/", data, [Issue, StockMove], redirected)

    run()


def test_the_relief_application_form_never_errors_and_a_refusal_writes_nothing(client_for):
    from baogong.property.demo_data import load_property_demo
    from baogong.property.models import Lease, ReliefApplication

    load_property_demo()
    client = client_for("property")
    lease = Lease.objects.order_by("pk").first()

    @FUZZ
    @given(
        st.fixed_dictionaries(
            {
                "settlement": field("credit"),
                "proof_risk_area": field("on"),
                "proof_sealed_or_closed": field(""),
                "proof_full_year_loss": field(""),
            }
        )
    )
    def run(data):
        # both outcomes redirect: an application is filed only from a valid form
        def post() -> None:
            before = counts([ReliefApplication])
            response = client.post(f"/property/leases/{lease.pk}/apply/", data)
            assert response.status_code < 500, (data, response.status_code)
            if data["settlement"] not in ("credit", "refund"):
                assert counts([ReliefApplication]) == before, data

        in_savepoint(post)

    run()


def test_the_person_form_never_errors_and_a_refusal_writes_nothing(client_for):
    from baogong.orgs.models import Organisation, Site
    from baogong.people.models import Person

    client = client_for("commander")
    organisation = Organisation.objects.get(code="BSGX")
    site = Site.objects.get(code="EH-TY")

    @FUZZ
    @given(
        st.fixed_dictionaries(
            {
                "kind": field("staff"),
                "name": field("张三"),
                "organisation": field(str(organisation.pk)),
                "home_site": field(str(site.pk)),
                "id_number": field("11010519491231002X"),
                "phone": field("13912345678"),
                "position": field("志愿者"),
                "login": field(""),
            }
        )
    )
    def run(data):
        check(client, "/people/new/", data, [Person], redirected)

    run()


def test_the_site_form_never_errors_and_a_refusal_writes_nothing(client_for):
    from baogong.orgs.models import Organisation, Site

    client = client_for("commander")
    organisation = Organisation.objects.get(code="BSGX")

    @FUZZ
    @given(
        st.fixed_dictionaries(
            {
                "code": field("DP-FUZZ"),
                "name": field("收货点"),
                "kind": field("delivery_point"),
                "organisation": field(str(organisation.pk)),
                "address": field("宝山区"),
                "lat": field("31.35"),
                "lon": field("121.44"),
                "contact_phone": field("13912345678"),
                "priority_tier": field("3"),
                "headcount": field("120"),
                "receiving_from": field("08:00"),
                "receiving_until": field("18:00"),
                "is_active": field("on"),
            }
        )
    )
    def run(data):
        check(client, "/sites/new/", data, [Site], redirected)

    run()
