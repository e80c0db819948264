from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from baogong.command import actions as command_actions
from baogong.core.models import AuditEvent, Notification
from baogong.orgs import actions as org_actions
from baogong.orgs.models import Organisation, Site
from baogong.reports.delivery import send_daily_report

pytestmark = pytest.mark.django_db


def test_dashboard_data_feeds_the_live_charts(records, client_for, user):
    # the records' hotel was locked down in 2022 and reopened; one site is locked down today
    org_actions.set_site_status(Site.objects.get(code="HT-WYN"), "locked_down", reason="阳性", actor=user("commander"))
    client = client_for("commander")
    page = client.get("/")
    assert 'id="live-charts"' in page.content.decode()
    data = client.get(reverse("reports:dashboard_data")).json()
    charts = {c["key"]: c for c in data["charts"]}
    costs = charts["costs_vs_budget"]
    assert costs["available"] is True
    assert costs["labels"] == ["M-FCL", "M-MPL", "M-POSCO"]
    assert costs["series"][1]["values"] == [1500000.75, 107776.99, 4321.0]
    assert costs["links"][0] == "/finance/costs/?mission=M-FCL&status=approved"
    status = charts["sites_by_status"]
    assert status["series"][0]["values"][status["labels"].index("封控")] == 1
    # every chart reads its app's queries with plain imports: none is silently "not yet available"
    assert [c["key"] for c in data["charts"] if not c["available"]] == []
    orders = charts["pharmacy_orders"]
    assert len(orders["labels"]) == len(orders["series"][0]["values"]) == len(orders["links"]) == 7


def test_dashboard_data_refuses_users_without_reports(client_for):
    assert client_for("warehouse").get(reverse("reports:dashboard_data")).status_code == 403


def _recipients(user):
    bsgx = Organisation.objects.get(code="BSGX")
    commander = user("commander")
    command_actions.add_report_recipient(
        {"organisation": bsgx, "name": "总社办公室", "email": "office@bsgx.example"}, actor=commander
    )
    command_actions.add_report_recipient(
        {"organisation": bsgx, "name": "指挥部", "email": "cc@bsgx.example"}, actor=commander
    )


def test_send_daily_report_mails_the_pdf(records, user, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _recipients(user)
    with django_capture_on_commit_callbacks(execute=True):
        sent = send_daily_report(dt.date(2022, 4, 15))
    assert sent == {"emails": 2, "webhooks": 0}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "保供工作日报（2022年04月15日）"
    assert sorted(message.to) == ["cc@bsgx.example", "office@bsgx.example"]
    assert "累计阅读6,000次" in message.body
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("daily-2022-04-15.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(verb="send_daily_report").count() == 1


def test_send_daily_report_posts_to_the_webhook(records, user, settings, django_capture_on_commit_callbacks):
    import http.server
    import json
    import threading

    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=x"
        command_actions.add_report_recipient(
            {"organisation": Organisation.objects.get(code="BSGX"), "name": "企业微信群", "webhook_url": url},
            actor=user("commander"),
        )
        with django_capture_on_commit_callbacks(execute=True):
            sent = send_daily_report(dt.date(2022, 4, 15))
        assert received == [], "posted by the background task, never inside the job's transaction"
        from baogong.core.deliveries import attempt

        assert attempt(Notification.objects.get().deliveries.get().pk) == "sent"
    finally:
        server.shutdown()
    assert sent == {"emails": 0, "webhooks": 1}
    assert received[0]["msgtype"] == "markdown"
    assert "保供工作日报（2022年04月15日）" in received[0]["markdown"]["content"]
    assert "累计阅读6,000次" in received[0]["markdown"]["content"]
    assert Notification.objects.get().deliveries.get().status == "sent"


def test_send_daily_command_and_task(records, user, settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _recipients(user)
    from django.core.management import call_command

    call_command("report", "send-daily", "--date", "2022-04-15")
    assert "sent to 2 e-mail(s)" in capsys.readouterr().out
    from baogong.reports.delivery import send_daily_report_task

    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}):
        result = send_daily_report_task.enqueue("2022-04-16")
    assert result.return_value == {"day": "2022-04-16", "emails": 2, "webhooks": 0}
    assert len(mail.outbox) == 2


def test_stock_chart_gives_days_of_cover_from_real_moves(user, system, n95, txq, hospital):
    from baogong.catalog.models import Category
    from baogong.inventory import actions as inventory_actions
    from baogong.reports.charts import stock_by_category

    item, warehouse = n95, txq
    inventory_actions.receive_stock(
        warehouse,
        [
            inventory_actions.ReceiptLineInput(
                item=item,
                batch="B1",
                qty=100,
                unit_cost=Decimal("2.00"),
                expiry=dt.date.today() + dt.timedelta(days=300),
            )
        ],
        actor=system,
    )
    inventory_actions.issue_stock(
        warehouse, hospital, [inventory_actions.IssueLineInput(item=item, qty=28)], actor=system
    )
    # when
    chart = stock_by_category(user("commander"), dt.date.today())
    # then: 72 on hand, 28 issued in 14 days = 2 a day → 36 days of cover
    index = chart["labels"].index(Category.objects.get(code="EPI-MASK").name)
    assert chart["series"][0]["values"][index] == 72
    assert chart["series"][1]["values"][index] == Decimal("36.0")


def test_requests_chart_answers_for_every_tier(base, user):
    from baogong.reports.charts import requests_by_tier

    chart = requests_by_tier(user("commander"), dt.date.today())
    assert chart["labels"] == ["第1级", "第2级", "第3级", "第4级", "第5级"]
    assert chart["series"][0]["values"] == [0, 0, 0, 0, 0]
