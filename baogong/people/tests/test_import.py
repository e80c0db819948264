from baogong.core.models import AuditEvent
from baogong.core.tests.xlsx import xlsx_file
from baogong.orgs.models import Site
from baogong.people.imports import TEST_COLUMNS
from baogong.people.models import HealthTest, Incident


def workbook(rows):
    return xlsx_file([c.header for c in TEST_COLUMNS], rows, "tests.xlsx")


def test_import_is_all_or_nothing_with_row_errors(client_for, make_person, today):
    make_person("王建国", id_number="310113198001010013")
    client = client_for("health")
    day = today.isoformat()
    bad = workbook(
        [
            ["310113198001010013", "王建国", "核酸", f"{day} 08:00", "阴性", "WH-TXQ"],
            ["310113199212310029", "无此人", "抗原", f"{day} 08:00", "阴性", ""],
            ["310113198001010013", "李四", "血检", f"{day} 08:00", "也许", "NOPE"],
        ]
    )
    response = client.post("/people/tests/import/", {"file": bad})
    assert response.status_code == 400
    page = response.content.decode()
    assert "未登记的人员" in page and "姓名与身份证号不符" in page and "未知场所编码" in page
    assert not HealthTest.objects.exists()


def test_import_records_tests_and_positives_open_incidents(client_for, make_person, today):
    make_person("王建国", id_number="310113198001010013")
    make_person("李卫东", id_number="310113199212310029")
    client = client_for("health")
    day = today.isoformat()
    good = workbook(
        [
            ["310113198001010013", "王建国", "抗原", f"{day} 00:10", "阳性", "WH-TXQ"],
            ["310113199212310029", "李卫东", "核酸", f"{day} 00:05", "阴性", "WH-TXQ"],
        ]
    )
    response = client.post("/people/tests/import/", {"file": good})
    assert response.status_code == 302
    assert sorted(HealthTest.objects.values_list("person__name", "kind", "result", "source")) == [
        ("李卫东", "pcr", "negative", "import"),
        ("王建国", "antigen", "positive", "import"),
    ]
    assert Incident.objects.get().person.name == "王建国"
    assert Site.objects.get(code="WH-TXQ").status == "under_control"
    assert AuditEvent.objects.filter(verb="record_health_test").count() == 2
    template = client.get("/people/tests/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
