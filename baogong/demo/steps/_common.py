"""Names the replay's steps share: the main warehouse, the suppliers, demo accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from baogong.demo.scenario import (
    SUPPLY_DRIVERS,
    SUPPLY_VEHICLES,
)

if TYPE_CHECKING:
    from baogong.demo.scenario import Scenario


PDF = b"%PDF-1.4\n% scenario document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WAREHOUSE = "WH-TXQ"
# (name, USCC, categories, device licence) — the USCCs carry valid GB 32100 check characters.
SUPPLIERS = [
    ("上海宝康防护用品有限公司", ["protective", "ivd", "disinfectant"], "沪宝药监械经营许20200101号"),
    ("江苏恒安医疗器械有限公司", ["protective", "ivd", "disinfectant"], "苏锡药监械经营许20190233号"),
    ("上海鑫诚医疗用品有限公司", ["protective", "ivd", "disinfectant"], "沪宝药监械经营许20220410号"),
]
COUNTERFEIT_SUPPLIER = "上海鑫诚医疗用品有限公司"
GENUINE_AG = "国械注准20203400830"
FAKE_AG = "沪宝械备20200123"


def _uscc(serial: int) -> str:
    from baogong.core.identifiers import uscc_check_char

    body = f"91310113MA1K{serial:05d}"
    return body + uscc_check_char(body)


def _attendant(s: Scenario, station: Any) -> Any:
    """The demo fuel attendant (``fuel``, at 凤凰) where the account may act, else the command centre."""
    from baogong.core.scoping import user_scope

    fuel = s.user("fuel")
    if getattr(fuel, "pk", None) and user_scope(fuel).allows(
        organisation_id=station.organisation_id, site_id=station.pk
    ):
        return fuel
    return s.user("commander")


LONG_HAUL_TRUCK = "沪B20000"  # holds a pass for Zhangjiagang (POSCO) as well as Baoshan


def _truck(n: int) -> str:
    return f"沪B{10000 + n % SUPPLY_VEHICLES:05d}"


def _driver_name(n: int) -> str:
    return f"司机{n % SUPPLY_DRIVERS + 1:02d}"
