from django.contrib.auth import get_user_model

from baogong.core.models import AuditEvent
from baogong.orgs.models import Site


def test_anonymous_visit_lands_on_login_form(client, base):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/")
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert "登录" in html


def test_login_with_demo_password_shows_chinese_dashboard_with_enterprises_and_sites(client, base):
    response = client.post("/login/", {"username": "commander", "password": "baogong-demo"}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "指挥" in html
    for name in (
        "北翼集团",
        "医药公司",
        "储运公司",
        "长兴公司",
        "农资公司",
        "南方公司",
        "华森公司",
        "泰兴桥大仓",
        "凤凰加油站",
        "彩达加油站",
        "月浦恬逸养老院",
        "沪客隆隔离点",
    ):
        assert name in html, name
    assert f'data-figure="site_total">{Site.objects.count()}<' in html


def test_language_switch_to_english(client_for):
    client = client_for("commander")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Command dashboard" in html
    assert "Log out" in html


def test_login_is_throttled_after_repeated_failures(client, base, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "commander", "password": "wrong-password"})
    response = client.post("/login/", {"username": "commander", "password": "baogong-demo"})
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_passwords_are_hashed_with_argon2():
    from baogong import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_site_list_paginates_filters_and_htmx_partial(client_for, django_assert_max_num_queries):
    client = client_for("commander")
    with django_assert_max_num_queries(12):
        response = client.get("/sites/?kind=pharmacy&page_size=10")
    html = response.content.decode()
    assert "第 1 页，共 3 页" in html or "Page 1 of 3" in html
    partial = client.get("/sites/?kind=pharmacy", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "PH-01" in partial


def test_site_export_is_a_real_workbook(client_for):
    import io

    from openpyxl import load_workbook

    response = client_for("commander").get("/sites/?kind=street_office&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 13 and rows[0][0].startswith("编码")


def test_site_form_shows_field_errors(client_for):
    response = client_for("commander").post("/sites/new/", {"code": "", "name": "", "kind": "warehouse"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="code"' in html and 'data-field="organisation"' in html


def test_site_detail_shows_its_history(client_for, user):
    from baogong.orgs.actions import set_site_status

    site = Site.objects.get(code="EH-TY")
    set_site_status(site, "under_control", reason="老人阳性", actor=user("health"))
    html = client_for("health").get(f"/sites/{site.pk}/").content.decode()
    assert "变更了场所状态" in html and "老人阳性" in html and "set_site_status" not in html


def test_audit_page_searches_by_verb_and_is_denied_to_keepers(client_for, user):
    from baogong.orgs.actions import set_site_status

    set_site_status(Site.objects.get(code="WH-TXQ"), "closed", reason="消杀", actor=user("commander"))
    html = client_for("auditor").get("/audit/?verb=set_site_status").content.decode()
    assert "消杀" in html
    assert client_for("warehouse").get("/audit/").status_code == 403


def test_admin_edits_are_audited(client, base):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-123")
    client.force_login(admin)
    site = Site.objects.get(code="CV-BY")
    data = {
        "code": site.code,
        "name": "北翼商城(改)",
        "kind": site.kind,
        "organisation": site.organisation_id,
        "status": "normal",
        "priority_tier": 5,
        "is_active": "on",
        "created_at_0": "2022-04-01",
        "created_at_1": "00:00:00",
    }
    response = client.post(f"/admin/orgs/site/{site.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(verb="admin_change", object_id=str(site.pk))
    assert event.before["name"] == "北翼商城" and event.after["name"] == "北翼商城(改)"


def nav_groups(client, path="/"):
    return client.get(path).context["nav_groups"]


def test_menu_is_grouped_in_a_few_sections_and_shows_only_what_the_user_may_open(client_for):
    # the commander sees every module in a few sections (one row at 1366 px), System last;
    # a section of several modules heads each module's entries with its name
    groups = nav_groups(client_for("commander"))
    labels = [str(g["label"]) for g in groups]
    assert labels == ["首页", "物资", "配送", "人员与健康", "民生服务", "指挥", "系统"]
    supplies = next(g for g in groups if str(g["label"]) == "物资")
    assert [str(i["label"]) for i in supplies["items"]][1:4] == ["库存", "入库", "出库"]
    assert [str(i["header"]) for i in supplies["items"] if i["header"]] == ["物资目录", "库存", "采购"]

    # the fuel attendant sees their home, the fuel stations and the offline records of the station
    # to review: no stock, no plans, and no health check-in while the account is not linked to a
    # person (it would answer 404)
    fuel = nav_groups(client_for("fuel"))
    assert [[str(i["label"]) for i in g["items"]] for g in fuel] == [["首页"], ["加油站"], ["离线冲突复核"]]

    # the page being shown marks its group and entry active; the HTML has one drop-down per module
    client = client_for("commander")
    response = client.get("/inventory/expiry/")
    active = [g for g in response.context["nav_groups"] if g["active"]]
    assert [str(g["label"]) for g in active] == ["物资"]
    assert [str(i["label"]) for i in active[0]["items"] if i["active"]] == ["效期预警"]
    html = response.content.decode()
    assert html.count('class="nav-item dropdown"') == sum(len(g["items"]) > 1 for g in response.context["nav_groups"])
