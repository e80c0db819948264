"""The insurer's settlement file: all rows or none, each refused row named."""

from decimal import Decimal

import pytest

from baogong.core.excel import ImportFailed
from baogong.core.models import AuditEvent
from baogong.core.tests.xlsx import xlsx_file
from baogong.pharmacy import actions
from baogong.pharmacy.models import Settlement

HEADERS = ["订单号 / Order", "医保交易号 / Insurance transaction", "当年账户 / Current year", "历年账户 / Prior years"]


def workbook(rows):
    return xlsx_file(HEADERS, rows, "settlements.xlsx")


@pytest.fixture
def approved(make_drug, stock, order_input, system, user, fees):
    drug = make_drug("连花清瘟胶囊", unit_price="26.80")
    stock("PH-02", drug, 10)
    orders = []
    for _i in range(2):
        order = actions.place_order(order_input([(drug, 1)]), actor=system)[0]
        actions.approve_order(order, actor=user("pharmacist"))
        orders.append(order)
    return orders


def test_import_creates_settlements_with_the_insurers_amounts(approved, user):
    first, second = approved
    count = actions.import_settlements(
        workbook([[first.number, "YB-1", "20.00", "6.80"], [second.number, "YB-2", "0", "26.80"]]),
        actor=user("pharmacist"),
    )
    assert count == 2
    one = Settlement.objects.get(order=first)
    # order total 26.80 + 4.00 fees; the insurer paid 26.80, the fees are self-paid
    assert (one.total, one.personal_current, one.personal_prior, one.self_pay, one.transaction_number) == (
        Decimal("30.80"),
        Decimal("20.00"),
        Decimal("6.80"),
        Decimal("4.00"),
        "YB-1",
    )
    assert AuditEvent.objects.filter(verb="import_settlements").count() == 2


def test_a_bad_row_imports_nothing_and_names_the_row(approved, user):
    first, second = approved
    with pytest.raises(ImportFailed) as exc:
        actions.import_settlements(
            workbook(
                [
                    [first.number, "YB-1", "20.00", "6.80"],
                    [second.number, "YB-1", "50.00", "0"],
                    ["NOPE", "YB-3", "1", "1"],
                ]
            ),
            actor=user("pharmacist"),
        )
    rows = exc.value.details["rows"]
    assert {(r["row"], r["field"]) for r in rows} == {
        (3, "transaction_number"),
        (4, "order"),
    }
    assert Settlement.objects.count() == 0
