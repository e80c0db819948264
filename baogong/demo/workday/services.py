"""Today's service work: medicine orders to review, rent-relief applications at each stage (the
tenant account's own among them), and 凤凰加油站's tank, roster and queue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.catalog.models import Item
from baogong.demo.workday.accounts import SYSTEM, user
from baogong.fleet import actions as fleet_actions
from baogong.fleet.choices import ShiftSlot
from baogong.fleet.models import FuelQueueTicket, FuelShift, FuelTank
from baogong.orgs.models import AdministrativeArea, Site
from baogong.pharmacy import actions as pharmacy
from baogong.pharmacy.models import Drug, Order
from baogong.property import actions as property_actions
from baogong.property.models import Lease, ReliefApplication
from baogong.property.queries import policy_in_force, required_documents

PDF = b"%PDF-1.4\n% demo document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# resident, phone, area, compound, drug code, qty
RESIDENTS = [
    ("李阿婆", "13512340001", "310113103", "杨泰一村", "YP-LHQW", 2),
    ("王先生", "13512340002", "310113102", "场中小区", "YP-PARA", 1),
    ("陈阿姨", "13512340003", "310113007", "淞兴西路小区", "YP-BLG", 2),
]


def pharmacy_orders(today: dt.date) -> int:
    """Three residents' online orders placed this morning: the pharmacist's review queue."""
    if Order.objects.filter(resident_name=RESIDENTS[0][0]).exists():
        return 0
    made = 0
    for n, (name, phone, area, compound, code, qty) in enumerate(RESIDENTS, start=1):
        drug = Drug.objects.filter(item__code=code).first()
        if drug is None:
            continue
        orders = pharmacy.place_order(
            pharmacy.OrderInput(
                lines=[(drug, qty)],
                resident_name=name,
                phone=phone,
                area=AdministrativeArea.objects.get(code=area),
                compound=compound,
                building=str(n + 2),
                room=f"{n}0{n}",
                insurance_card=f"SH31011300{n:04d}",
            ),
            actor=SYSTEM,
        )
        made += len(orders)
    return made


# lease → how far its application has gone: the tenant account's shop waits for the office
RELIEF = [("L-BY-001", "submitted"), ("L-BY-002", "handled"), ("L-HKL-001", "returned")]


def relief_applications(today: dt.date) -> int:
    """Applications under the policy in force today: the tenant account's shop submitted with its
    documents (to handle), 老王面馆 handled (to check), 杨行便民菜店 returned for a document."""
    policy = policy_in_force(today)
    if policy is None:
        return 0
    officer = user("property")
    made = 0
    for code, stage in RELIEF:
        lease = Lease.objects.filter(code=code).first()
        if lease is None or ReliefApplication.objects.filter(lease=lease, policy=policy).exists():
            continue
        application = property_actions.submit_application(lease, as_of=today, actor=officer)
        kinds = required_documents(application)
        for kind in kinds[:-1] if stage == "returned" else kinds:
            upload = SimpleUploadedFile(f"{kind}.pdf", PDF, content_type="application/pdf")
            property_actions.upload_document(application, kind, upload, actor=officer)
        if stage == "handled":
            property_actions.handle_application(application, note="材料齐全", actor=officer)
        elif stage == "returned":
            property_actions.return_application(application, reason="缺少受疫情影响的证明材料", actor=officer)
        made += 1
    return made


ROSTER = {ShiftSlot.NIGHT: ["赵卫国"], ShiftSlot.DAY: ["吴小军", "孙丽"], ShiftSlot.EVENING: ["钱建平"]}
ARRIVALS = ["沪B60002", "沪AK3721", "沪BD8810"]  # the first: the second demo truck, with its pass


def fuel_station(today: dt.date) -> int:
    """A diesel tank at 凤凰加油站 (the replay's grade and size, so a later replay uses it), today's
    roster and three vehicles in the queue, one of them a supply truck with a pass (green channel)."""
    station = Site.objects.get(code="FS-FH")
    attendant = user("fuel")
    made = 0
    if not FuelTank.objects.filter(station=station, code="D0").exists():
        tank = fleet_actions.create_tank(
            station,
            Item.objects.get(code="DIESEL-0"),
            code="D0",
            capacity_litres=30000,
            low_level_litres=6000,
            actor=SYSTEM,
        )
        fleet_actions.receive_fuel(tank, 24000, Decimal("7.60"), reference=f"长兴油库-{today:%m%d}", actor=SYSTEM)
        made += 1
    if not FuelShift.objects.filter(station=station, attendant__in=ROSTER[ShiftSlot.DAY]).exists():
        for slot, names in ROSTER.items():
            fleet_actions.set_roster(station, today, slot, names, actor=attendant)
        made += 1
    if not FuelQueueTicket.objects.filter(station=station, plate__in=ARRIVALS).exists():
        for plate in ARRIVALS:
            fleet_actions.arrive_at_station(station, plate, actor=attendant)
            made += 1
    return made
