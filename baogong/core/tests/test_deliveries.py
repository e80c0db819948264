"""Notifications pushed to WeCom, DingTalk and Feishu group robots and e-mail as background tasks:
signed as each platform documents, trimmed to its limit, retried with backoff, recorded; the
request that caused one never posts anything itself. A real local HTTP receiver plays the robot."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from baogong.core import robots
from baogong.core.deliveries import attempt, retry_due
from baogong.core.models import NotificationChannel, NotificationDelivery
from baogong.core.notify import notify
from baogong.core.tests.receiver import Receiver
from baogong.orgs.models import Organisation

LONG = "物资保障情况说明。" * 3000  # 27 000 characters, 81 000 bytes


@pytest.fixture
def receiver():
    robot = Receiver().start()
    yield robot
    robot.stop()


def channel(kind, target, *, subjects=("outbreak",), org=None, secret="", mentions=""):
    return NotificationChannel.objects.create(
        name=f"{kind} 群",
        kind=kind,
        target=target,
        secret=secret,
        subjects=list(subjects),
        organisation_id=org,
        mentions=mentions,
    )


def notify_now(django_capture_on_commit_callbacks, **kwargs):
    defaults = {
        "title": "阳性病例",
        "body": "涉及场所：方舱医院",
        "link": "/people/incidents/1/",
        "subject": "outbreak",
    }
    with django_capture_on_commit_callbacks(execute=True):
        return notify(**{**defaults, **kwargs})


def test_the_request_only_queues_a_task_and_posts_nothing(base, receiver, django_capture_on_commit_callbacks):
    channel("wecom", receiver.url + "/cgi-bin/webhook/send?key=k")
    before = DBTaskResult.objects.count()
    note = notify_now(django_capture_on_commit_callbacks)
    assert receiver.requests == []  # nothing posted inside the request
    delivery = note.deliveries.get()
    assert delivery.status == "pending" and delivery.subject == "outbreak"
    task = DBTaskResult.objects.exclude(pk__in=[]).order_by("-enqueued_at").first()
    assert DBTaskResult.objects.count() == before + 1
    assert task.task_path == "baogong.core.deliveries.deliver_task" and task.args_kwargs["args"] == [delivery.pk]
    assert attempt(delivery.pk) == "sent"
    payload = receiver.requests[0].json
    assert payload["msgtype"] == "markdown" and payload["markdown"]["content"].startswith("### 阳性病例")
    assert "http://" in payload["markdown"]["content"]  # the link made absolute


def test_dingtalk_is_signed_as_documented(base, receiver, django_capture_on_commit_callbacks):
    secret = "SEC0123456789abcdef"
    channel("dingtalk", receiver.url + "/robot/send?access_token=t", secret=secret, mentions="13800001111")
    note = notify_now(django_capture_on_commit_callbacks)
    assert attempt(note.deliveries.get().pk) == "sent"
    got = receiver.requests[0]
    stamp = got.query["timestamp"]
    assert abs(int(stamp) - timezone.now().timestamp() * 1000) < 3_600_000  # milliseconds, within the hour
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert got.query["sign"] == expected  # parse_qsl undid the URL encoding
    assert got.query["access_token"] == "t"
    assert got.json["at"]["atMobiles"] == ["13800001111"] and "@13800001111" in got.json["markdown"]["text"]


def test_feishu_is_signed_as_documented(base, receiver, django_capture_on_commit_callbacks):
    secret = "feishu-secret"
    receiver.success = b'{"code":0,"msg":"success"}'
    channel("feishu", receiver.url + "/open-apis/bot/v2/hook/x", secret=secret)
    note = notify_now(django_capture_on_commit_callbacks)
    assert attempt(note.deliveries.get().pk) == "sent"
    body = receiver.requests[0].json
    key = f"{body['timestamp']}\n{secret}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "text" and body["content"]["text"].startswith("阳性病例\n")


@pytest.mark.parametrize(
    ("kind", "limit", "measure"),
    [
        ("wecom", robots.WECOM_MARKDOWN_BYTES, lambda b: len(json.loads(b)["markdown"]["content"].encode())),
        ("dingtalk", robots.DINGTALK_TEXT_BYTES, lambda b: len(json.loads(b)["markdown"]["text"].encode())),
        ("feishu", robots.FEISHU_BODY_BYTES, len),
    ],
)
def test_long_messages_are_trimmed_to_the_platform_limit(kind, limit, measure):
    url, body = robots.robot_request(kind, "http://127.0.0.1/x", robots.Message("日报", LONG, "http://h/r/1"), "s")
    assert measure(body) <= limit
    assert "全文见链接" in body.decode() and "http://h/r/1" in body.decode()
    small = robots.robot_request(kind, "http://127.0.0.1/x", robots.Message("日报", "短"), "")[1]
    assert "全文见链接" not in small.decode()


def test_fit_bytes_never_cuts_inside_a_character():
    cut = robots.fit_bytes("保供" * 100, 50, suffix="")
    assert cut == "保供" * 8 and len(cut.encode()) <= 50


def test_failed_twice_then_delivered_on_the_third_try_with_backoff(
    base, receiver, settings, django_capture_on_commit_callbacks
):
    settings.BAOGONG_NOTIFY_RETRY_DELAYS = "30,120"
    receiver.fail, receiver.failure = 2, "platform"
    channel("wecom", receiver.url + "/send?key=k")
    pk = notify_now(django_capture_on_commit_callbacks).deliveries.get().pk
    start = timezone.now()
    assert attempt(pk, now=start) == "pending"
    first = NotificationDelivery.objects.get(pk=pk)
    assert first.attempts == 1 and "sign not match" in first.last_error
    assert dt.timedelta(seconds=29) < first.next_attempt_at - start < dt.timedelta(seconds=35)
    assert attempt(pk, now=start) == "skipped"  # not due yet: a duplicate task does nothing
    assert attempt(pk, now=first.next_attempt_at) == "pending"
    second = NotificationDelivery.objects.get(pk=pk)
    assert second.attempts == 2 and second.next_attempt_at - first.next_attempt_at > dt.timedelta(seconds=100)
    assert attempt(pk, now=second.next_attempt_at) == "sent"
    done = NotificationDelivery.objects.get(pk=pk)
    assert (done.status, done.attempts, done.next_attempt_at) == ("sent", 3, None)
    assert len(receiver.requests) == 3


def test_a_hook_that_never_answers_ends_failed_and_the_sweeper_requeues_due_ones(
    base, settings, django_capture_on_commit_callbacks
):
    settings.BAOGONG_NOTIFY_RETRY_DELAYS = "1"
    channel("wecom", "http://127.0.0.1:9/nothing-listens")
    pk = notify_now(django_capture_on_commit_callbacks).deliveries.get().pk
    now = timezone.now()
    assert attempt(pk, now=now) == "pending"
    later = now + dt.timedelta(seconds=5)
    before = DBTaskResult.objects.count()
    assert retry_due(later) == 1 and DBTaskResult.objects.count() == before + 1
    assert attempt(pk, now=later) == "failed"
    assert retry_due(later + dt.timedelta(hours=1)) == 0


def test_channels_by_subject_and_organisation_and_email(base, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    bsgx = Organisation.objects.get(code="BSGX").pk
    other = Organisation.objects.exclude(pk=bsgx).first().pk
    mine = channel("email", "a@bsgx.example, b@bsgx.example", subjects=["recall", "outbreak"], org=bsgx)
    channel("email", "x@other.example", subjects=["outbreak"], org=other)
    everyone = channel("email", "city@example.org", subjects=["outbreak"])
    channel("email", "reports@example.org", subjects=["daily_report"])
    note = notify_now(django_capture_on_commit_callbacks, organisation_id=bsgx, title="阳性病例\n换行")
    assert sorted(d.channel_id for d in note.deliveries.all()) == sorted([mine.pk, everyone.pk])
    for delivery in note.deliveries.all():
        assert attempt(delivery.pk) == "sent"
    assert sorted(tuple(m.to) for m in mail.outbox) == [("a@bsgx.example", "b@bsgx.example"), ("city@example.org",)]
    assert mail.outbox[0].subject == "阳性病例 换行"
    assert notify_now(django_capture_on_commit_callbacks, subject="").deliveries.count() == 0


def test_the_command_centre_sees_deliveries_and_others_do_not(
    base, receiver, client_for, django_capture_on_commit_callbacks
):
    channel("wecom", receiver.url + "/send?key=k")
    note = notify_now(django_capture_on_commit_callbacks)
    attempt(note.deliveries.get().pk)
    page = client_for("commander").get("/notifications/deliveries/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "阳性病例" in text and "已送达" in text and "企业微信群机器人" in text
    assert client_for("warehouse").get("/notifications/deliveries/").status_code == 403


def test_an_administrator_sets_up_a_channel_in_the_admin(base, client, user):
    from django.contrib.auth import get_user_model

    from baogong.core.models import AuditEvent

    admin_user = get_user_model().objects.create_superuser("channel-admin", "a@example.org", "x-password-123")
    client.force_login(admin_user)
    bsgx = Organisation.objects.get(code="BSGX")
    page = client.get("/admin/core/notificationchannel/add/")
    assert page.status_code == 200 and "BSGX" in page.content.decode()
    answer = client.post(
        "/admin/core/notificationchannel/add/",
        {
            "name": "宝山防控群",
            "kind": "dingtalk",
            "organisation_id": str(bsgx.pk),
            "target": "https://oapi.dingtalk.com/robot/send?access_token=t",
            "secret": "SECabc",
            "subjects": ["outbreak", "recall"],
            "mentions": "",
            "is_active": "on",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    made = NotificationChannel.objects.get(name="宝山防控群")
    assert (made.organisation_id, made.subjects) == (bsgx.pk, ["outbreak", "recall"])
    assert AuditEvent.objects.filter(verb="admin_add", object_repr="宝山防控群").exists()
    assert client.get("/admin/core/notificationchannel/").status_code == 200
