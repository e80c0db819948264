"""Premises, tenants and leases built through the real actions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.core.audit import SystemActor
from baogong.core.identifiers import ID_CHECK, ID_WEIGHTS, org_code_check_char, uscc_check_char
from baogong.orgs.models import AdministrativeArea, Organisation
from baogong.property import actions
from baogong.property.choices import DocumentKind

SYSTEM = SystemActor("test")
D = dt.date
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_uscc(n: int) -> str:
    org = f"MA1G{n:04d}"
    first17 = "91310113" + org + org_code_check_char(org)
    return first17 + uscc_check_char(first17)


def make_idcard(n: int) -> str:
    first17 = "31011319900101" + f"{n:03d}"
    return first17 + ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def pdf(name="doc.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


class World:
    """A state-owned building of 北翼集团 in 友谊路街道 with three units and two tenants."""

    def __init__(self):
        self.owner = Organisation.objects.get(code="BYJT")
        self.area = AdministrativeArea.objects.get(code="310113003")
        self.building = actions.create_property(
            {
                "code": "P-BY-01",
                "name": "北翼商城",
                "owner": self.owner,
                "area": self.area,
                "address": "友谊路1号",
                "use": "商业",
                "is_state_owned": True,
            },
            [
                {"code": "101", "floor_area": Decimal("80.00"), "use": "零售"},
                {"code": "102", "floor_area": Decimal("60.00"), "use": "餐饮"},
                {"code": "201", "floor_area": Decimal("200.00"), "use": "办公"},
                # stalls for the leases a test makes without naming units (a unit is let once at a time)
                *({"code": f"S{n:02d}", "floor_area": Decimal("80.00"), "use": "零售"} for n in range(1, 31)),
            ],
            actor=SYSTEM,
        )
        self.units = {u.code: u for u in self.building.units.all()}
        self.shop = actions.create_tenant(
            {
                "organisation": self.owner,
                "code": "T-001",
                "name": "宝山小超市有限公司",
                "kind": "enterprise",
                "uscc": make_uscc(1),
                "industry": "零售业",
                "employees": 12,
                "revenue_wan": Decimal("150"),
                "assets_wan": Decimal("80"),
            },
            actor=SYSTEM,
        )
        self.noodles = actions.create_tenant(
            {
                "organisation": self.owner,
                "code": "T-002",
                "name": "老王面馆",
                "kind": "individual_business",
                "operator_name": "王建国",
                "operator_id_number": make_idcard(1),
                "industry": "餐饮业",
            },
            actor=SYSTEM,
        )

    def units_of(self, lease):
        """The codes of the units a lease covers (what a sub-lease of it may cover)."""
        return tuple(lease.units.order_by("code").values_list("code", flat=True))

    def lease(
        self,
        code="L-001",
        tenant=None,
        units=None,
        rent="30000.00",
        period=3,
        start=D(2022, 1, 1),
        end=D(2024, 12, 31),
        rent_free=(),
        parent=None,
    ):
        if units is None:  # the first unit no lease covers yet ("101", then the spare stalls)
            let = set(self.building.units.filter(leases__isnull=False).values_list("code", flat=True))
            units = (next(c for c in ["101", *(f"S{n:02d}" for n in range(1, 31))] if c not in let),)
        return actions.create_lease(
            {
                "code": code,
                "organisation": self.owner,
                "tenant": tenant or self.shop,
                "parent": parent,
                "rent": Decimal(rent),
                "period_months": period,
                "start": start,
                "end": end,
                "deposit": Decimal("10000.00"),
            },
            units=[self.units[u] for u in units],
            rent_free=list(rent_free),
            actor=SYSTEM,
        )


@pytest.fixture
def world(base):
    return World()


def upload_all(application, actor=SYSTEM):
    from baogong.property import queries

    for kind in queries.required_documents(application):
        actions.upload_document(application, kind, pdf(f"{kind}.pdf"), actor=actor)


def office_head():
    """A second property officer of 宝山供销社: the third person of the review chain (经办 ≠ 审核 ≠ 批准)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from baogong.orgs.actions import grant_access
    from baogong.orgs.models import Organisation

    user, created = get_user_model().objects.get_or_create(username="property-head")
    if created:
        user.groups.add(Group.objects.get(name="property_officer"))
        grant_access(user, organisation=Organisation.objects.get(code="BSGX"), actor=SYSTEM)
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


def through_review(application, actor, on=D(2022, 6, 10)):
    """经办 by ``actor``, 审核 by the commander, 批准 by the office head: three people."""
    from django.contrib.auth import get_user_model

    actions.handle_application(application, actor=actor)
    actions.check_application(application, actor=get_user_model().objects.get(username="commander"))
    return actions.approve_application(application, on=on, actor=office_head())


__all__ = ["DocumentKind"]
