"""Rent relief for market tenants (from 2022-05-11)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.demo.steps._common import PDF, _uscc

if TYPE_CHECKING:
    from baogong.demo.scenario import Scenario


RELIEF_FIRST_DAY = 40  # 2022-05-11: relief applications open (the first policy is in force)
RELIEF_TENANTS = 1000  # stalls of the ten markets, one tenant each
MARKETS = 10


def _id_number(serial: int) -> str:
    from baogong.core.identifiers import ID_CHECK, ID_WEIGHTS

    body = f"31011319{70 + serial % 30:02d}0{1 + serial % 9}1{serial % 9}{serial % 1000:03d}"[:17]
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _markets(s: Scenario) -> list[Any]:
    from baogong.orgs.models import AdministrativeArea, Organisation
    from baogong.property import actions
    from baogong.property.models import Property

    made = list(Property.objects.filter(code__startswith="P-SC-").order_by("code"))
    if made:
        return made
    areas = list(AdministrativeArea.objects.filter(level__in=["street", "town"]).order_by("code"))
    owner = Organisation.objects.get(code="BYJT")
    per = RELIEF_TENANTS // MARKETS + 1
    for m in range(MARKETS):
        area = areas[m % len(areas)]
        made.append(
            actions.create_property(
                {
                    "code": f"P-SC-{m + 1:02d}",
                    "name": f"{area.name}供销农贸市场",
                    "owner": owner,
                    "area": area,
                    "address": f"{area.name}供销路{m + 1}号",
                    "use": "commercial",
                    "is_state_owned": True,
                },
                [
                    {"code": f"{u + 1:03d}", "floor_area": Decimal("20.00") + u % 30, "use": "commercial"}
                    for u in range(per)
                ],
                actor=s.system,
            )
        )
    return made


# The relief model: every stall of the group's markets has a tenant; each applies with
# probability P_APPLY on a day drawn front-loaded over the weeks the window is open; a merchant
# forgets a document with probability P_MISSING (the handler returns it; it comes back complete
# within a few days with probability P_CURED); a lease outside the policy is found at the check
# with probability P_INELIGIBLE and rejected. The approvals are what the review chain let through.
P_APPLY = 0.97
P_MISSING = 0.05
P_CURED = 0.6
P_INELIGIBLE = 0.02


def _plan(s: Scenario, first: int, tenants: int) -> dict[int, list[int]]:
    """Which tenants apply on which day (front-loaded: half in the first third of the window)."""
    days = max(1, s.days - first - 1)  # the last day only reviews
    plan: dict[int, list[int]] = {}
    for n in range(tenants):
        if s.rng.random() >= P_APPLY:
            continue
        offset = min(days - 1, int(days * s.rng.random() ** 1.6))
        plan.setdefault(first + offset, []).append(n)
    return plan


def _relief(s: Scenario, day: dt.date, index: int) -> None:
    """Rent relief from 2022-05-11 (the 2022-03 policy, the 2022-05 policy from 05-29): merchants
    apply as planned by the model; the office reviews the previous days' applications in batches
    (经办 → 审核 → 批准), returns incomplete ones and rejects leases outside the policy. A merchant in
    arrears is held until cured."""
    from baogong.property import actions
    from baogong.property.models import ReliefApplication, Tenant

    first = min(RELIEF_FIRST_DAY, max(0, s.days - 3))
    if index < first:
        return
    officer = s.user("property")
    markets = _markets(s)
    tenants = RELIEF_TENANTS * min(s.days, 60) // 60
    if index == first:
        s.relief_plan = _plan(s, first, tenants)
    today = s.relief_plan.get(index, [])
    known = set(Tenant.objects.filter(code__in=[f"T-SC-{n + 1:04d}" for n in today]).values_list("code", flat=True))
    if today and not s.relief_stalls:
        from baogong.property.models import Unit

        for unit in Unit.objects.filter(property__in=markets).select_related("property").order_by("code"):
            s.relief_stalls.setdefault(unit.property_id, []).append(unit)
    stalls = s.relief_stalls
    merchants = [
        (n, markets[n % MARKETS], stalls[markets[n % MARKETS].pk][n // MARKETS])
        for n in today
        if f"T-SC-{n + 1:04d}" not in known
    ]
    if merchants:
        _apply(s, day, index, merchants, officer)
    # merchants who were sent back bring the missing document
    for pk, (kind, back_on) in list(s.relief_missing.items()):
        if back_on != index:
            continue
        application = ReliefApplication.objects.get(pk=pk)
        if application.status == "returned":
            upload = SimpleUploadedFile(f"{kind}.pdf", PDF, content_type="application/pdf")
            actions.upload_document(application, kind, upload, actor=officer)
            actions.resubmit_application(application, actor=officer)
            del s.relief_missing[pk]
    _review(s, day)


def _merchant(n: int, market: Any, unit: Any) -> Any:
    """Merchant ``n`` of the model: its tenant and lease as the office keys them in."""
    from baogong.property import actions

    industries = ["零售业", "餐饮业", "住宿业", "租赁和商务服务业", "其他未列明行业"]
    individual = n % 3 != 0
    rent = Decimal(1500 + (n * 37) % 3000)
    return actions.LeaseRow(
        tenant={
            "organisation": market.owner,
            "code": f"T-SC-{n + 1:04d}",
            "kind": "individual_business" if individual else "enterprise",
            "name": f"{market.name}{n + 1}号商户" if individual else f"上海宝山{n + 1}号商贸有限公司",
            "industry": industries[n % len(industries)],
            "employees": None if individual else 5 + n % 20,
            "revenue_wan": None if individual else Decimal(80 + n % 200),
            "assets_wan": None if individual else Decimal(50 + n % 150),
            "operator_name": f"商户{n + 1}" if individual else "",
            "operator_id_number": _id_number(n) if individual else "",
            "uscc": "" if individual else _uscc(1000 + n),
            "contact_name": f"商户{n + 1}",
            "contact_phone": f"1380{n:07d}",
        },
        lease={
            "code": f"L-SC-{n + 1:04d}",
            "organisation": market.owner,
            "rent": rent * 3,
            "period_months": 3,
            "start": dt.date(2021, 1 + n % 12, 1),
            "end": dt.date(2023, 12, 31),
            "deposit": rent,
        },
        units=[unit],
    )


def _apply(s: Scenario, day: dt.date, index: int, merchants: list[tuple[int, Any, Any]], officer: Any) -> None:
    """The day's merchants of the model: their tenants and leases on file, the applications, their
    documents (the last one forgotten now and then, brought back days later or never); each step
    for all of them in one action, the model's draws merchant by merchant in the same order."""
    from baogong.core.errors import DomainError
    from baogong.property import actions

    leases = actions.create_leases([_merchant(n, market, unit) for n, market, unit in merchants], actor=officer)
    applications = actions.submit_applications(leases, as_of=day, actor=officer)
    files = []
    for application in applications:
        if isinstance(application, DomainError):
            raise application
        required = _required(application)
        forgot = required[-1] if required and s.rng.random() < P_MISSING else None
        uploads = []
        for kind in required:
            if kind == forgot:
                cured = s.rng.random() < P_CURED
                s.relief_missing[application.pk] = (kind, index + s.rng.randint(2, 5) if cured else None)
                continue
            uploads.append((kind, SimpleUploadedFile(f"{kind}.pdf", PDF, content_type="application/pdf")))
        if uploads:
            files.append((application, uploads))  # the merchant's files at once
        if s.rng.random() < P_INELIGIBLE:
            s.relief_ineligible.add(application.pk)
    for stored in actions.upload_documents_many(files, actor=officer) if files else []:
        if isinstance(stored, DomainError):
            raise stored


def _review(s: Scenario, day: dt.date) -> None:
    from baogong.property import actions
    from baogong.property.models import ReliefApplication

    officer, commander = s.user("property"), s.user("commander")
    submitted = list(ReliefApplication.objects.filter(status="submitted", submitted_on__lt=day))
    handled = actions.batch_review(submitted, "handle", actor=officer)
    for number, _reason in handled.failed:
        application = ReliefApplication.objects.get(number=number)
        if application.status == "submitted" and application.pk in s.relief_missing:
            actions.return_application(application, reason="材料不全，请补充后重新提交", actor=officer)
            s.outcome.relief_returned += 1
    for application in ReliefApplication.objects.filter(status="handled", pk__in=s.relief_ineligible):
        actions.reject_application(application, reason="租赁合同不在本次减免政策范围内", actor=commander)
        s.outcome.relief_rejected += 1
    checked = ReliefApplication.objects.filter(status="handled")
    actions.batch_review(list(checked), "check", actor=commander)
    result = actions.batch_review(list(ReliefApplication.objects.filter(status="checked")), "approve", actor=commander)
    s.outcome.relief_approved += len(result.done)


def _required(application: Any) -> list[str]:
    from baogong.property.queries import required_documents

    return required_documents(application)
