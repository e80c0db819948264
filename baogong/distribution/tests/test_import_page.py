"""The Excel import page: template download, all-or-nothing import with row errors."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from baogong.core.tests.xlsx import xlsx_file
from baogong.distribution import actions
from baogong.distribution.models import Request

from .conftest import in_days


def upload(rows):
    return xlsx_file([c.header for c in actions.IMPORT_COLUMNS[:4]], rows, "requests.xlsx")


def test_import_page(client_for, n95, hospital):
    client = client_for("commander")
    template = client.get("/distribution/requests/import/?template=1")
    assert load_workbook(io.BytesIO(template.content)).worksheets[0].cell(1, 1).value.startswith("收货单位编码")
    bad = client.post(
        "/distribution/requests/import/", {"file": upload([["FH-FCL", "NOPE", 5, in_days(1).isoformat()]])}
    )
    assert bad.status_code == 400 and "NOPE" not in Request.objects.values_list("number", flat=True)
    assert Request.objects.count() == 0
    good = client.post(
        "/distribution/requests/import/", {"file": upload([["FH-FCL", "N95", 5, in_days(1).isoformat()]])}
    )
    assert good.status_code == 302
    assert Request.objects.get().lines.get().qty == 5
    assert client_for("auditor").get("/distribution/requests/import/").status_code == 403
