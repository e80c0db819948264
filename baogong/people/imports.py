"""Excel import of test results (e.g. a sampling point's list): all rows valid, or nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from baogong.core.audit import Actor
from baogong.core.excel import Column, ImportFailed, normalise_text, raise_if_errors, read_rows
from baogong.core.identifiers import check_idcard
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import user_scope
from baogong.orgs.models import Site
from baogong.people import crypto
from baogong.people.choices import TestKind, TestResult, TestSource
from baogong.people.models import HealthTest, Person

KINDS = {"抗原": TestKind.ANTIGEN, "antigen": TestKind.ANTIGEN, "核酸": TestKind.PCR, "pcr": TestKind.PCR}
RESULTS = {
    "阴性": TestResult.NEGATIVE,
    "negative": TestResult.NEGATIVE,
    "阳性": TestResult.POSITIVE,
    "positive": TestResult.POSITIVE,
    "无效": TestResult.INVALID,
    "invalid": TestResult.INVALID,
}


def _choice(mapping: Mapping[str, str], what: str) -> Any:
    def parse(value: Any) -> str:
        text = normalise_text(value).lower()
        if text not in mapping:
            raise ValueError(
                f"{what}: {'、'.join(k for k in mapping if not k.isascii())} / {', '.join(k for k in mapping if k.isascii())}"
            )
        return mapping[text]

    return parse


def _idcard(value: Any) -> str:
    number = normalise_text(value).upper()
    check = check_idcard(number)
    if not check.ok:
        raise ValueError(check.reason)
    return number


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = normalise_text(value).replace("/", "-")
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError("时间格式应为 YYYY-MM-DD HH:MM / time must be YYYY-MM-DD HH:MM") from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


TEST_COLUMNS = [
    Column("id_number", "身份证号 / ID number", required=True, parse=_idcard, example="310113198001010013"),
    Column("name", "姓名 / name", required=True, example="王建国"),
    Column("kind", "检测类型 / test", required=True, parse=_choice(KINDS, "检测类型"), example="核酸"),
    Column("taken_at", "采样时间 / taken at", required=True, parse=_datetime, example="2022-04-12 08:30"),
    Column("result", "结果 / result", required=True, parse=_choice(RESULTS, "结果"), example="阴性"),
    Column("site", "采样场所编码 / site code", example="WH-TXQ"),
]


@retry_on_conflict
def import_health_tests(file: Any, *, actor: Actor) -> list[HealthTest]:
    """Record every row's test through the same rules as one entry; positives open incidents."""
    from baogong.people import actions, outbreak
    from baogong.people.actions.health import _record_health_test

    rows, errors = read_rows(file, TEST_COLUMNS)
    scope = user_scope(actor)
    sites = {s.code: s for s in Site.objects.all()}
    prepared: list[tuple[Person, dict[str, Any]]] = []
    now = timezone.now() + actions.CLOCK_SKEW
    for number, values in rows:
        if not values.get("id_number"):
            continue
        person = Person.objects.filter(id_number_hash=crypto.lookup_hash("idcard", values["id_number"])).first()
        if person is None or not scope.allows(organisation_id=person.organisation_id, site_id=person.home_site_id):
            errors.append({"row": number, "field": "id_number", "message": "未登记的人员 / no such person registered"})
            continue
        if values.get("name") and values["name"] != person.name:
            errors.append(
                {"row": number, "field": "name", "message": "姓名与身份证号不符 / name does not match the ID"}
            )
        if values.get("taken_at") and values["taken_at"] > now:
            errors.append({"row": number, "field": "taken_at", "message": "检测时间不能晚于现在 / in the future"})
        site = None
        if values.get("site"):
            site = sites.get(values["site"])
            if site is None:
                errors.append({"row": number, "field": "site", "message": "未知场所编码 / unknown site code"})
        prepared.append((person, {**values, "site": site}))
    raise_if_errors(errors)
    if not prepared:
        raise ImportFailed("文件中没有数据行 / the file has no data rows", details={"rows": []})
    saved: list[HealthTest] = []
    with transaction.atomic(durable=True):
        for person, values in sorted(prepared, key=lambda p: p[1]["taken_at"]):
            test = _record_health_test(
                person,
                kind=values["kind"],
                result=values["result"],
                taken_at=values["taken_at"],
                site=values["site"],
                source=TestSource.IMPORT,
                photo=None,
                note="",
                actor=actor,
            )
            saved.append(test)
            if test.result == TestResult.POSITIVE:
                outbreak.open_incident(test, actor=actor)
    for person_id in sorted({t.person_id for t in saved if t.result == TestResult.NEGATIVE}):
        outbreak.apply_recovery_rules(Person.objects.get(pk=person_id), on_date=timezone.localdate(), actor=actor)
    return saved
