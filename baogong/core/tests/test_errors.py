"""Error pages: friendly pages in the site's look and the user's language, JSON on the API,
never Django's technical pages (DEBUG is off unless asked for)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_a_wrong_address_answers_a_chinese_404_page_without_the_url_list(client_for):
    response = client_for("warehouse").get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "您要找的页面不存在" in html and "返回首页" in html
    assert 'href="/"' in html  # the way out
    assert "URLconf" not in html and "urlpatterns" not in html.lower() and "Traceback" not in html
    assert "navbar" in html  # the site's look, menu included for a logged-in user


def test_the_404_page_is_english_when_the_user_chose_english(client_for):
    client = client_for("warehouse")
    client.cookies["baogong_language"] = "en"

    html = client.get("/no-such-page/").content.decode()

    assert "The page you asked for does not exist." in html
    assert "您要找的页面不存在" not in html


def test_an_anonymous_404_offers_the_login_page():
    html = Client().get("/no-such-page/").content.decode()
    assert "您要找的页面不存在" in html and 'href="/login/"' in html


def test_a_page_outside_the_role_answers_a_chinese_403_page(client_for):
    response = client_for("tenant").get("/audit/")

    assert response.status_code == 403
    html = response.content.decode()
    assert "您没有打开此页面的权限" in html and "联系管理员" in html


def test_an_expired_form_answers_a_chinese_403_page(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user("commander"))

    response = client.post("/logout/")

    assert response.status_code == 403
    assert "表单已过期" in response.content.decode()


@override_settings(ROOT_URLCONF="baogong.core.tests.urls_failing")
def test_a_server_error_answers_a_chinese_page_with_a_reference_and_no_internals():
    client = Client(raise_request_exception=False)

    response = client.get("/boom/", headers={"X-Request-Id": "req-4711"})

    assert response.status_code == 500
    html = response.content.decode()
    assert "系统出现故障" in html and "req-4711" in html and "返回首页" in html
    assert "secret-internal-detail" not in html and "Traceback" not in html and "SECRET_KEY" not in html


@override_settings(ROOT_URLCONF="baogong.core.tests.urls_failing")
def test_api_errors_are_json_in_the_documented_shape_never_html(api_for):
    api = api_for("commander")
    api.raise_request_exception = False

    missing = api.get("/api/v1/no-such-resource/")
    failed = api.get("/api/v1/boom/")

    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert missing.json() == {"code": "not_found", "message": "未找到。", "details": {}}
    assert failed.status_code == 500 and failed["Content-Type"] == "application/json"
    assert failed.json()["code"] == "server_error" and "secret-internal-detail" not in failed.content.decode()
    assert set(failed.json()) == {"code", "message", "details"}


def test_static_files_are_served_without_debug_as_under_make_run(client):
    response = client.get("/static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"wOF2"


def _setting(name: str, **env: str) -> str:
    unset = {"DEBUG", "BAOGONG_DEBUG", "BAOGONG_PRODUCTION", "BAOGONG_TEST_CLOCK", "BAOGONG_CLOCK_OFFSET"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "baogong.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@pytest.mark.clock_free
def test_debug_is_off_unless_asked_for():
    assert _setting("DEBUG") == "False"
    assert _setting("DEBUG", BAOGONG_DEBUG="1") == "True"
    assert _setting("DEBUG", DEBUG="1") == "True"
    assert _setting("DEBUG", BAOGONG_PRODUCTION="1", SECRET_KEY="k" * 50, DEBUG="1") == "False"


@pytest.mark.clock_free
def test_database_connections_persist_and_are_health_checked_by_default():
    assert _setting("DATABASES['default']['CONN_MAX_AGE']") == "60"
    assert _setting("DATABASES['default']['CONN_HEALTH_CHECKS']") == "True"
    assert _setting("DATABASES['default']['CONN_MAX_AGE']", CONN_MAX_AGE="0") == "0"


def test_ids_past_64_bits_are_field_errors_and_404s_not_database_overflows(api_for):
    """Schemathesis found these as 500s on SQLite ("Python int too large to convert")."""
    api = api_for("commander")
    huge = 99999999999999999999

    case = api.post("/api/v1/procurement/counterfeit-cases/", {"lot": huge, "reason": "假货"}, format="json")
    run = api.post(
        "/api/v1/distribution/allocation-runs/", {"warehouses": ["WH-TXQ"], "requests": [huge]}, format="json"
    )
    detail = api.get(f"/api/v1/distribution/requests/{huge}/")

    assert case.status_code == 400 and "lot" in case.json()["details"]
    assert run.status_code == 400 and "requests" in run.json()["details"]
    assert detail.status_code == 404 and detail.json()["code"] == "not_found"


def test_out_of_range_quantities_and_long_notes_are_field_errors(api_for):
    """The outside review's 500s: qty 1e30 (both databases), qty 2147483648 (201 on SQLite, 500 on
    PostgreSQL: the databases accepted different data), a 10 MB note."""
    from baogong.catalog import actions as catalog_actions
    from baogong.core.audit import SystemActor
    from baogong.distribution.models import Request

    catalog_actions.create_item({"code": "BOUND-1", "name": "边界测试物资", "unit": "箱"}, actor=SystemActor("test"))
    api = api_for("commander")
    before = Request.objects.count()

    def file(qty, note=""):
        body = {
            "recipient": "FH-FCL",
            "note": note,
            "lines": [{"item": "BOUND-1", "qty": qty, "needed_by": "2030-01-01"}],
        }
        return api.post("/api/v1/distribution/requests/", body, format="json")

    ok = file(5)
    assert ok.status_code == 201, ok.content  # the same body with a sane quantity is filed
    before += 1
    huge = file(1e30)
    past_int32 = file(2147483648)
    long_note = file(5, note="长" * 600)

    assert huge.status_code == 400 and "lines" in huge.json()["details"]
    assert past_int32.status_code == 400 and "lines" in past_int32.json()["details"]
    assert long_note.status_code == 400 and "note" in long_note.json()["details"]
    assert Request.objects.count() == before
