from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.orgs.models import Organisation
from baogong.procurement import actions

GOOD_USCC = "91310113MA1FL2KQ20"
WARN_USCC = "91310113MA1FL2KQ59"
OTHER_USCC = "91310113132209535Y"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="licence.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def make_supplier(user, media):
    """A supplier through the real actions; approved with the licences its categories need unless told."""

    def make(
        name="上海康安医疗器械有限公司",
        uscc=GOOD_USCC,
        org="BYJT",
        categories=("protective",),
        approve=True,
        licences=("business", "device_business"),
        expires_on=None,
    ):
        officer = user("procurement")
        supplier = actions.register_supplier(
            {
                "organisation": Organisation.objects.get(code=org),
                "name": name,
                "uscc": uscc,
                "legal_representative": "王建国",
                "contact_name": "李敏",
                "contact_phone": "13800138000",
                "categories": list(categories),
            },
            actor=officer,
        )
        for kind in licences:
            actions.add_licence(
                supplier,
                {
                    "kind": kind,
                    "number": uscc if kind == "business" else f"沪宝食药监械经营许{kind[:3]}0001号",
                    "scope": "第二类、第三类医疗器械",
                    "issued_on": dt.date(2020, 1, 1),
                    "expires_on": expires_on or dt.date(2030, 1, 1),
                },
                document=pdf(),
                actor=officer,
            )
        if approve:
            supplier = actions.approve_supplier(supplier, actor=user("commander"))
        return supplier

    return make
