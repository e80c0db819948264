from decimal import Decimal

import pytest

from baogong.core.geo import haversine_km
from baogong.core.money import round_fen
from baogong.core.notify import notify
from baogong.core.pdf import render_pdf
from baogong.core.qr import qr_svg
from baogong.core.robots import Message, robot_request
from baogong.core.tests.pdf import has_cjk_font


def test_round_fen_is_half_up():
    assert round_fen(Decimal("0.125")) == Decimal("0.13")
    assert round_fen(Decimal("0.124999")) == Decimal("0.12")
    assert round_fen(Decimal("-0.125")) == Decimal("-0.13")


def test_haversine_known_distance():
    # one degree of latitude on a 6371 km sphere
    assert haversine_km(31.0, 121.0, 32.0, 121.0) == pytest.approx(111.19492664, rel=1e-9)
    assert haversine_km(31.4, 121.4, 31.4, 121.4) == 0.0


def test_qr_svg_is_an_svg():
    assert qr_svg("https://example.invalid/x").startswith("<svg")


def test_pdf_renders_and_embeds_the_cjk_font():
    from django.template import engines
    from weasyprint import HTML

    from baogong.core.pdf import _local_fetcher

    html = (
        engines["django"]
        .from_string('{% extends "core/pdf_base.html" %}{% block content %}<h1>送货单 方舱医院</h1>{% endblock %}')
        .render({})
    )
    pdf = HTML(string=html, url_fetcher=_local_fetcher(), base_url="/").write_pdf()

    assert pdf.startswith(b"%PDF")
    assert has_cjk_font(pdf)
    assert render_pdf("core/pdf_base.html", {}).startswith(b"%PDF")


def test_webhook_payload_shapes():
    import json

    _url, body = robot_request("dingtalk", "https://oapi.dingtalk.com/robot/send?x", Message("t", "b"))
    assert json.loads(body)["markdown"]["title"] == "t"
    _url, body = robot_request("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", Message("t", "b"))
    assert "content" in json.loads(body)["markdown"]


def test_notify_records_and_queues_a_delivery_after_commit(db, settings, django_capture_on_commit_callbacks):
    from baogong.core.deliveries import attempt

    settings.BAOGONG_WEBHOOK_URL = "http://127.0.0.1:9/robot"  # nothing listens: the failure is recorded
    settings.BAOGONG_NOTIFY_RETRY_DELAYS = ""
    with django_capture_on_commit_callbacks(execute=True):
        note = notify("假货预警", "批次 X 疑似假冒", level="critical")
    delivery = note.deliveries.get()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert attempt(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_error.startswith("URLError")


def test_pdf_embeds_images_from_data_uris_and_static_files(tmp_path):
    from django.template import engines

    from baogong.core.qr import qr_png_data_uri

    template = engines["django"].from_string(
        '{% extends "core/pdf_base.html" %}{% block content %}<h1>送货单</h1>'
        '<img src="{{ qr }}"><img src="/static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2">'
        '<img src="http://example.invalid/x.png">{% endblock %}'
    )
    html = template.render({"qr": qr_png_data_uri("https://example.invalid/d/abc")})
    from weasyprint import HTML

    from baogong.core.pdf import _local_fetcher

    pdf = HTML(string=html, url_fetcher=_local_fetcher(), base_url="/").write_pdf()
    assert pdf.startswith(b"%PDF")
    assert b"/Image" in pdf or b"/XObject" in pdf


def test_paginate_then_load_keeps_the_order_and_loads_only_the_page(base, rf):
    from baogong.core.htmx import paginate_then_load
    from baogong.orgs.models import Site

    keys = Site.objects.order_by("-code")
    loaded: list[list[int]] = []

    def load(pks):
        loaded.append(list(pks))
        return list(Site.objects.filter(pk__in=pks).order_by("pk"))  # any order

    page = paginate_then_load(rf.get("/", {"page": "2", "page_size": "5"}), keys, load)

    expected = list(keys.values_list("code", flat=True))[5:10]
    assert [site.code for site in page] == expected
    assert page.number == 2 and page.paginator.count == Site.objects.count()
    assert loaded == [list(keys.values_list("pk", flat=True)[5:10])]
