"""The in-app inbox: each user sees the notifications of their organisations and sites and those
addressed to them; marking read is audited; the navbar shows the unread count."""

from __future__ import annotations

from baogong.core.models import AuditEvent, Notification
from baogong.core.notify import notify, unread_count
from baogong.orgs.models import Site


def given_notices(user):
    txq = Site.objects.get(code="WH-TXQ")
    pharmacy = Site.objects.filter(code__startswith="PH-").exclude(organisation=txq.organisation).first()
    return {
        "txq": notify("泰兴桥：3 个批次临期", "N95 #B1", level="warning", link="/inventory/expiry/",
                      organisation_id=txq.organisation_id, site_id=txq.pk),
        "pharmacy": notify("药房低库存", organisation_id=pharmacy.organisation_id, site_id=pharmacy.pk),
        "group": notify("疑似假冒：抗原检测试剂", level="critical"),
        "personal": notify("请补充驾驶证", recipient=user("warehouse")),
    }  # fmt: skip


def titles(response):
    return [n.title for n in response.context["page"]]


def test_each_user_sees_their_own_sites_and_addressed_notices(client_for, user):
    notes = given_notices(user)
    keeper = client_for("warehouse").get("/notifications/")
    assert set(titles(keeper)) == {notes["txq"].title, notes["personal"].title}
    # the group-wide commander sees the shared ones, not another user's personal notice
    commander = client_for("commander").get("/notifications/")
    assert set(titles(commander)) == {notes["txq"].title, notes["pharmacy"].title, notes["group"].title}
    # filters
    critical = client_for("commander").get("/notifications/", {"level": "critical"})
    assert titles(critical) == [notes["group"].title]


def test_marking_read_is_audited_and_counts_drop(client_for, user):
    notes = given_notices(user)
    keeper = user("warehouse")
    client = client_for("warehouse")
    assert unread_count(keeper) == 2
    page = client.get("/").content.decode()
    assert 'id="nav-notifications"' in page and ">2</span>" in page

    # opening a notice marks it read and follows its link
    response = client.post(f"/notifications/{notes['txq'].pk}/read/", {"follow": "1"})
    assert response.status_code == 302 and response["Location"] == "/inventory/expiry/"
    assert Notification.objects.get(pk=notes["txq"].pk).is_read
    event = AuditEvent.objects.get(verb="read_notifications")
    assert event.actor_id == keeper.pk and event.after["count"] == 1
    assert unread_count(keeper) == 1

    # a notice outside the inbox is not there; a foreign "next" is not followed
    assert client.post(f"/notifications/{notes['pharmacy'].pk}/read/").status_code == 404
    assert not Notification.objects.get(pk=notes["pharmacy"].pk).is_read
    response = client.post(f"/notifications/{notes['personal'].pk}/read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"

    # mark all read touches only the user's inbox
    notify("泰兴桥：盘点差异待审批", organisation_id=notes["txq"].organisation_id, site_id=notes["txq"].site_id)
    client.post("/notifications/read-all/")
    assert unread_count(keeper) == 0
    assert not Notification.objects.get(pk=notes["group"].pk).is_read
    bell = client.get("/").content.decode().split('id="nav-notifications"', 1)[1].split("</a>", 1)[0]
    assert "badge" not in bell


def test_the_inbox_needs_a_login_and_a_post_to_change(client, client_for, user):
    notes = given_notices(user)
    assert client.get("/notifications/").status_code == 302
    assert client_for("warehouse").get(f"/notifications/{notes['txq'].pk}/read/").status_code == 405
