"""Reads shared by views, the API and reports."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models
from django.db.models import F, Q, Sum

from baogong.core.money import round_fen
from baogong.core.scoping import scope_q, user_scope
from baogong.property import rules
from baogong.property.choices import ApplicationStatus, DocumentKind, TenantKind
from baogong.property.models import Invoice, Lease, Policy, ReliefApplication, RentFreePeriod, Tenant

M = TypeVar("M", bound=models.Model)

PROOF_DOCUMENTS = {
    "risk_area": DocumentKind.RISK_AREA,
    "sealed_or_closed": DocumentKind.SEALED_OR_CLOSED,
    "full_year_loss": DocumentKind.FULL_YEAR_LOSS,
}


def visible(queryset: models.QuerySet[M], user: Any, tenant_path: str) -> models.QuerySet[M]:
    """Records of the user's organisations, plus those of the tenants the user is a portal user of."""
    scope = user_scope(user)
    if scope.is_global:
        return queryset
    portal = Q(**{f"{tenant_path}portal_users": user}) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    return queryset.filter(scope_q(queryset.model, scope) | portal).distinct()


def tenants_for(user: Any) -> models.QuerySet[Tenant]:
    return visible(Tenant.objects.select_related("organisation"), user, "")


def leases_for(user: Any) -> models.QuerySet[Lease]:
    return visible(Lease.objects.select_related("tenant", "organisation", "parent"), user, "tenant__")


def applications_for(user: Any) -> models.QuerySet[ReliefApplication]:
    return visible(
        ReliefApplication.objects.select_related("tenant", "lease", "policy", "organisation"), user, "tenant__"
    )


def portal_leases(user: Any) -> models.QuerySet[Lease]:
    """The leases of the tenants ``user`` is a portal user of (the tenant's own)."""
    return Lease.objects.filter(tenant__portal_users=user).select_related("tenant").order_by("code")


def portal_applications(user: Any) -> models.QuerySet[ReliefApplication]:
    """The relief applications of the tenants ``user`` is a portal user of, newest first."""
    return (
        ReliefApplication.objects.filter(tenant__portal_users=user)
        .select_related("policy", "lease", "tenant")
        .order_by("-submitted_on", "-id")
    )


def invoices_for(user: Any) -> models.QuerySet[Invoice]:
    return visible(Invoice.objects.select_related("lease", "lease__tenant"), user, "lease__tenant__")


def is_portal_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and Tenant.objects.filter(portal_users=user).exists()


def policy_terms() -> list[rules.PolicyTerms]:
    return [p.terms() for p in Policy.objects.filter(is_active=True)]


def policy_in_force(on: dt.date) -> Policy | None:
    terms = rules.policy_in_force(on, policy_terms())
    return Policy.objects.get(code=terms.code) if terms is not None else None


def is_in_arrears(tenant: Tenant, on: dt.date) -> bool:
    """An invoice of the tenant fell due before ``on`` and is not settled."""
    return Invoice.objects.filter(lease__tenant=tenant, due_date__lt=on, amount__gt=F("credited") + F("paid")).exists()


def lease_quote(
    lease: Lease, *, as_of: dt.date, proof: rules.Proof | None = None, policy: Policy | None = None
) -> rules.Quote:
    """The rules' quote for a stored lease: role from the sub-lease chain, arrears from the rent roll."""
    facts = lease.tenant.facts(role=lease.role, in_arrears=is_in_arrears(lease.tenant, as_of))
    return rules.quote(
        as_of=as_of,
        tenant=facts,
        property_state_owned=lease.is_state_owned_premises(),
        lease=lease.facts(),
        proof=proof or rules.Proof(),
        policies=policy_terms() if policy is None else (),  # the policy given is the one quoted on
        policy=policy.terms() if policy is not None else None,
        uscc=lease.tenant.uscc,
    )


def lease_quotes(
    leases: Sequence[Lease], *, as_of: dt.date, proofs: Mapping[int, rules.Proof], policy: Policy
) -> dict[int, rules.Quote | rules.FactsContradict]:
    """:func:`lease_quote` of many leases under one policy (``{lease pk: quote}``, or the
    ``FactsContradict`` it raised), with the reads shared: the leases' tenants, arrears, sub-leases,
    head-lease units and rent-free periods in one query each instead of one each per lease. The
    leases' ``tenant`` should be loaded with them (``select_related``). ``proofs`` by lease pk
    (none: no proof)."""
    pks = [lease.pk for lease in leases]
    tenant_ids = {lease.tenant_id for lease in leases}
    in_arrears = set(
        Invoice.objects.filter(lease__tenant__in=tenant_ids, due_date__lt=as_of, amount__gt=F("credited") + F("paid"))
        .values_list("lease__tenant_id", flat=True)
        .distinct()
    )
    sublessors = set(Lease.objects.filter(parent__in=pks).values_list("parent_id", flat=True).distinct())
    heads = {lease.pk: (lease.chain()[0].pk if lease.parent_id is not None else lease.pk) for lease in leases}
    owned: dict[int, list[bool]] = defaultdict(list)
    for lease_id, state_owned in Lease.units.through.objects.filter(lease__in=set(heads.values())).values_list(
        "lease_id", "unit__property__is_state_owned"
    ):
        owned[lease_id].append(state_owned)
    rent_free: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for lease_id, start, end in RentFreePeriod.objects.filter(lease__in=pks).values_list("lease_id", "start", "end"):
        rent_free[lease_id].append((start, end))
    terms = policy.terms()
    quotes: dict[int, rules.Quote | rules.FactsContradict] = {}
    for lease in leases:
        role = rules.SUBLESSOR if lease.pk in sublessors else rules.FINAL_OCCUPIER
        units = owned.get(heads[lease.pk], [])
        facts = rules.LeaseFacts(
            start=lease.start,
            end=lease.end,
            rent=lease.rent,
            period_months=lease.period_months,
            rent_free=rent_free.get(lease.pk, []),
        )
        try:
            quotes[lease.pk] = rules.quote(
                as_of=as_of,
                tenant=lease.tenant.facts(role=role, in_arrears=lease.tenant_id in in_arrears),
                property_state_owned=bool(units) and all(units),
                lease=facts,
                proof=proofs.get(lease.pk) or rules.Proof(),
                policies=(),
                policy=terms,
                uscc=lease.tenant.uscc,
            )
        except rules.FactsContradict as exc:
            quotes[lease.pk] = exc
    return quotes


def required_documents(application: ReliefApplication) -> list[str]:
    """The document kinds the policy lists for this application."""
    listed = [t.strip() for t in application.policy.documents.split(",") if t.strip()]
    kinds: list[str] = []
    for item in listed:
        if item == "proof":
            proof = application.proof()
            kinds.extend(str(kind) for name, kind in PROOF_DOCUMENTS.items() if getattr(proof, name))
        elif item == "size_proof" and application.tenant.kind != TenantKind.ENTERPRISE:
            continue
        elif item in DocumentKind.values:
            kinds.append(item)
    return kinds


def missing_documents(application: ReliefApplication) -> list[str]:
    present = set(application.documents.values_list("kind", flat=True))
    return [k for k in required_documents(application) if k not in present]


def arrears(user: Any, on: dt.date) -> models.QuerySet[Invoice]:
    return (
        invoices_for(user)
        .filter(due_date__lt=on, amount__gt=F("credited") + F("paid"))
        .annotate(balance=F("amount") - F("credited") - F("paid"))
        .order_by("due_date", "lease__code")
    )


def filter_applications(qs: models.QuerySet[ReliefApplication], params: Any) -> models.QuerySet[ReliefApplication]:
    if params.get("status"):
        qs = qs.filter(status=params["status"])
    if params.get("policy"):
        qs = qs.filter(policy__code=params["policy"])
    if params.get("area"):
        qs = qs.filter(lease__units__property__area__code=params["area"]).distinct()
    if params.get("kind"):
        qs = qs.filter(tenant__kind=params["kind"])
    if params.get("q"):
        text = params["q"]
        qs = qs.filter(Q(number__icontains=text) | Q(tenant__name__icontains=text) | Q(lease__code__icontains=text))
    return qs


def progress(user: Any) -> dict[str, Any]:
    """Received, approved and amount; by ISO week and by street/town."""
    apps = list(applications_for(user).values("id", "status", "submitted_on", "approved_amount", "topped_up_amount"))
    areas: dict[int, str] = {}
    for app_id, area in (
        applications_for(user)
        .values_list("id", "lease__units__property__area__name")
        .order_by("id", "lease__units__property__area__name")
    ):
        areas.setdefault(app_id, area or "—")
    totals: dict[str, Any] = {"received": len(apps), "approved": 0, "amount": Decimal("0.00")}
    by_week: dict[str, dict[str, Any]] = defaultdict(lambda: {"received": 0, "approved": 0, "amount": Decimal("0.00")})
    by_area: dict[str, dict[str, Any]] = defaultdict(lambda: {"received": 0, "approved": 0, "amount": Decimal("0.00")})
    for a in apps:
        year, week, _day = a["submitted_on"].isocalendar()
        keys = [(by_week, f"{year}-W{week:02d}"), (by_area, areas.get(a["id"], "—"))]
        for table, key in keys:
            table[key]["received"] += 1
        if a["status"] == ApplicationStatus.APPROVED:
            amount = a["approved_amount"] + a["topped_up_amount"]
            totals["approved"] += 1
            totals["amount"] += amount
            for table, key in keys:
                table[key]["approved"] += 1
                table[key]["amount"] += amount
    return {
        "totals": totals,
        "by_week": sorted(by_week.items()),
        "by_area": sorted(by_area.items(), key=lambda kv: (-kv[1]["received"], kv[0])),
    }


def relief_given(lease: Lease) -> Decimal:
    return round_fen(Decimal(lease.credits.aggregate(total=Sum("amount"))["total"] or 0))  # SQLite: floats
