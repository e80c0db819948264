"""The group's lodging sites run through the people app's actions (issue 21, point 3): rooms,
stays, three meals a day, tests and care logs.

- 维也纳吴淞店 (``HT-WYN``, quarantine hotel): close contacts from the community arrive each day in
  proportion to the case curve (``GUESTS_AT_PEAK`` a day at the peak, ×0.6–1.4), one to a room;
  PCR on arrival and on day 7, checked out after the second negative (7 days).
- 全季水产路店 (``HT-QJ``, staff hotel): the closed-loop supply staff of 泰兴桥's night crew and
  the pharmaceutical company's crew there sleep here while on duty (two to a room): checked in
  when the weekly roster puts them on, out when it relieves them.
- 沪客隆隔离点 (``IP-HKL``, isolation point): "沪客隆为储运仓库人员提供封闭隔离场所，安排专人负责
  一日三餐、抗原检测、垃圾回收和清洁消杀" — the 储运 day crew of 泰兴桥 lodges here while on duty,
  takes an antigen test every morning, and the site logs waste and disinfection daily.
- 月浦恬逸养老院 (``EH-TY``, elderly home): ``RESIDENTS`` residents in two-bed rooms for the whole
  run; meals, daily disinfection and waste; after the home's outbreak (04-25) every resident is
  screened by antigen on the next day and three days later.

Meals: each site logs breakfast, lunch and dinner for the people lodged there that day. The draws
come from a random generator of their own (seeded from the run's seed), so adding this model
moved none of the other figures.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from baogong.core.errors import DomainError
from baogong.demo.scenario import SHANGHAI
from baogong.demo.steps import scarcity

if TYPE_CHECKING:
    from baogong.demo.scenario import Scenario

QUARANTINE_HOTEL, STAFF_HOTEL, ISOLATION_POINT, ELDERLY_HOME = "HT-WYN", "HT-QJ", "IP-HKL", "EH-TY"
# site → (rooms at most, beds per room): the sites' headcounts (120, 80, 60, 160); rooms are opened
# as guests arrive, the elderly home's all at once for its residents
ROOMS = {QUARANTINE_HOTEL: (120, 1), STAFF_HOTEL: (40, 2), ISOLATION_POINT: (30, 2), ELDERLY_HOME: (80, 2)}
GUESTS_AT_PEAK = 5  # close contacts arriving at the quarantine hotel a day at the peak
QUARANTINE_DAYS = 7
RESIDENTS = 160
# crews (steps.people.CREWS positions) lodged while on duty: 储运 day crew → isolation point;
# 储运 night crew and 医药 crew at 泰兴桥 → staff hotel
LODGED_CREWS = {1: ISOLATION_POINT, 2: STAFF_HOTEL, 3: STAFF_HOTEL}
OUTBREAK_SCREENING = (25, 28)  # day indexes: the elderly home's residents screened after 04-25
MEALS = ("breakfast", "lunch", "dinner")


def _rng(s: Scenario) -> random.Random:
    if s.lodging_rng is None:
        s.lodging_rng = random.Random(s.seed * 1009 + 21)  # noqa: S311 - a deterministic simulation
    return s.lodging_rng


def _resident_id(serial: int) -> str:
    from baogong.core.identifiers import ID_CHECK, ID_WEIGHTS

    birth = dt.date(1930, 1, 1) + dt.timedelta(days=(serial * 53) % (365 * 20))
    first17 = f"310113{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def set_up(s: Scenario) -> None:
    """Before the first day: the elderly home's rooms and residents, checked in. The other sites
    open rooms as their guests arrive (:func:`_free_room`), up to their ``ROOMS``."""
    from baogong.orgs.models import Site
    from baogong.people import actions
    from baogong.people.models import Room

    sites = {x.code: x for x in Site.objects.filter(code__in=ROOMS)}
    s.lodging_sites = sites
    s.lodging_rooms = {code: list(Room.objects.filter(site=site).order_by("pk")) for code, site in sites.items()}
    s.lodged = {code: {} for code in ROOMS if code in sites}  # site → person id → (stay, room)
    home = sites.get(ELDERLY_HOME)
    if home is None:
        return
    for n in range(RESIDENTS):
        person = actions.create_person(
            {
                "kind": "resident",
                "name": f"恬逸长者{n + 1:03d}",
                "organisation": home.organisation,
                "id_number": _resident_id(n + 1),
                "position": "入住老人",
            },
            actor=s.system,
        )
        _check_in(s, ELDERLY_HOME, person, "养老院入住老人", at=None)


def _free_room(s: Scenario, code: str) -> Any:
    """A room with a free bed at the site, opening the next room when all are full (up to the
    site's ``ROOMS``); None when the site is full."""
    from baogong.people import actions

    used: dict[int, int] = {}
    for _stay, room in s.lodged[code].values():
        used[room.pk] = used.get(room.pk, 0) + 1
    rooms = s.lodging_rooms[code]
    for room in rooms:
        if used.get(room.pk, 0) < room.beds:
            return room
    count, beds = ROOMS[code]
    if len(rooms) >= count:
        return None
    n = len(rooms)
    room = actions.add_room(s.lodging_sites[code], f"{n // 20 + 1}{n % 20 + 1:02d}", beds=beds, actor=s.system)
    rooms.append(room)
    return room


def _check_in(s: Scenario, code: str, person: Any, reason: str, at: dt.datetime | None) -> None:
    from baogong.people import actions

    room = _free_room(s, code) if code in s.lodged else None
    if room is None:
        s.outcome.notes.append(f"{code}: 客房已满 / no free room for {person.name}")
        return
    try:
        stay = actions.check_in(person, room.site, room=room, checked_in_at=at, reason=reason, actor=s.system)
    except DomainError as exc:
        s.outcome.notes.append(f"{code}: {exc.message}")
        return
    s.lodged[code][person.pk] = (stay, room)
    s.outcome.stays += 1


def _check_out(s: Scenario, code: str, person_id: int) -> None:
    from baogong.people import actions

    stay, _room = s.lodged[code].pop(person_id)
    try:
        actions.check_out(stay, actor=s.system)
    except DomainError as exc:
        s.outcome.notes.append(f"{code}: {exc.message}")


def _test(s: Scenario, person: Any, site: Any, kind: str, day: dt.date, hour: int, note: str) -> None:
    from baogong.people import actions

    try:
        actions.record_health_test(
            person,
            kind=kind,
            result="negative",
            taken_at=dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI),
            site=site,
            note=note,
            actor=s.user("health"),
        )
    except DomainError as exc:
        s.outcome.notes.append(f"{day}: {person.name} {exc.message}")
        return
    s.outcome.lodging_tests += 1


def morning(s: Scenario, day: dt.date, index: int) -> None:
    """07:00, after the week's roster: the crews lodged while on duty move in and out; the
    isolation point's antigen round; quarantine guests due out are tested and leave; the elderly
    home's screening after its outbreak."""
    from baogong.people.models import Person

    if not s.lodged:
        return
    for crew, code in LODGED_CREWS.items():
        on_duty = {p.pk: p for p in s.on_crew[crew]} if crew < len(s.on_crew) else {}
        for pk in [pk for pk in s.lodged[code] if pk not in on_duty and _crew_of(s, pk) == crew]:
            _check_out(s, code, pk)
        for pk, person in on_duty.items():
            if pk not in s.lodged[code]:
                _check_in(s, code, person, "闭环管理保供人员住宿", at=None)
    isolation = s.lodging_sites.get(ISOLATION_POINT)
    if isolation is not None:
        people = Person.objects.filter(pk__in=list(s.lodged[ISOLATION_POINT])).order_by("pk")
        for person in people:
            _test(s, person, isolation, "antigen", day, 7, "隔离点每日抗原检测")
    hotel = s.lodging_sites.get(QUARANTINE_HOTEL)
    if hotel is not None:
        due = [pk for pk, (stay, _r) in s.lodged[QUARANTINE_HOTEL].items() if _days_in(stay, day) >= QUARANTINE_DAYS]
        for person in Person.objects.filter(pk__in=due).order_by("pk"):
            _test(s, person, hotel, "pcr", day, 7, "解除隔离前核酸")
            _check_out(s, QUARANTINE_HOTEL, person.pk)
    home = s.lodging_sites.get(ELDERLY_HOME)
    if home is not None and index in OUTBREAK_SCREENING:
        for person in Person.objects.filter(pk__in=list(s.lodged[ELDERLY_HOME])).order_by("pk"):
            _test(s, person, home, "antigen", day, 7, "养老院疫情后全员抗原筛查")


def _crew_of(s: Scenario, person_id: int) -> int:
    for crew in LODGED_CREWS:
        if any(p.pk == person_id for p in s.crews[crew]):
            return crew
    return -1


def _days_in(stay: Any, day: dt.date) -> int:
    return (day - stay.checked_in_at.astimezone(SHANGHAI).date()).days


def afternoon(s: Scenario, day: dt.date, index: int) -> None:
    """14:00: the day's close contacts arrive at the quarantine hotel (registered as guests,
    checked in, PCR on arrival)."""
    from baogong.people import actions

    site = s.lodging_sites.get(QUARANTINE_HOTEL)
    if site is None:
        return
    rng = _rng(s)
    arriving = round(GUESTS_AT_PEAK * scarcity.cases(index) * rng.uniform(0.6, 1.4))
    for _ in range(arriving):
        s.outcome.quarantine_guests += 1
        serial = 5000 + s.outcome.quarantine_guests
        guest = actions.create_person(
            {
                "kind": "guest",
                "name": f"隔离宾客{s.outcome.quarantine_guests:03d}",
                "organisation": site.organisation,
                "id_number": _resident_id(serial),
                "position": "密切接触者",
            },
            actor=s.system,
        )
        _check_in(s, QUARANTINE_HOTEL, guest, "密切接触者集中隔离", at=None)
        _test(s, guest, site, "pcr", day, 14, "入住核酸")


def evening(s: Scenario, day: dt.date, index: int) -> None:
    """19:00: each site logs the day's three meals (people lodged there) and its care: the
    isolation point and the elderly home collect waste and disinfect, the quarantine hotel
    disinfects its corridors."""
    from baogong.people import actions

    if not s.lodged:
        return
    rng = _rng(s)
    for code in ROOMS:
        site = s.lodging_sites.get(code)
        if site is None:
            continue
        guests = len(s.lodged[code])
        if guests:
            for meal in MEALS:
                actions.log_meals(site, day, meal, guests, actor=s.system)
                s.outcome.meals += guests
        at = dt.datetime.combine(day, dt.time(19), tzinfo=SHANGHAI)
        if code in (ISOLATION_POINT, ELDERLY_HOME) and guests:
            waste = Decimal(str(round(guests * rng.uniform(0.6, 0.9), 1)))
            actions.log_care(site, kind="waste", done_at=at, area="生活垃圾", waste_kg=waste, actor=s.system)
            s.outcome.care_logs += 1
        if guests:
            area = "公共区域、房间门把手" if code != ELDERLY_HOME else "居室、餐厅、走廊"
            actions.log_care(
                site, kind="disinfection", done_at=at, area=area, agent="含氯消毒液500mg/L", actor=s.system
            )
            s.outcome.care_logs += 1
