"""Each role's home is its task inbox, and no link on a home page or in its menu answers 4xx."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from baogong.demo.actions import DEMO_ACCOUNTS
from baogong.orgs import actions as org_actions
from baogong.orgs.models import Site

pytestmark = pytest.mark.django_db

INBOX_ROLES = [u for u in DEMO_ACCOUNTS if u != "commander"]
HREF = re.compile(r'href="(/[^"#]*)"')


def _links(html: str) -> list[str]:
    return sorted({h.replace("&amp;", "&") for h in HREF.findall(html) if not h.startswith("/static/")})


@pytest.mark.parametrize("username", INBOX_ROLES)
def test_each_role_lands_on_its_inbox(client_for, username):
    page = client_for(username).get("/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<h1 class="h3 mb-0">我的工作</h1>' in html
    assert 'id="live-charts"' not in html
    assert 'class="card h-100 inbox-card"' in html


def test_the_command_centre_keeps_the_dashboard(client_for):
    html = client_for("commander").get("/").content.decode()
    assert 'id="live-charts"' in html
    assert "我的工作" not in html


@pytest.mark.parametrize("username", list(DEMO_ACCOUNTS))
def test_no_link_on_a_home_or_its_menu_is_refused(client_for, username):
    client = client_for(username)
    html = client.get("/").content.decode()
    refused = {}
    for url in _links(html):
        status = client.get(url).status_code
        if status >= 400:
            refused[url] = status
    assert refused == {}


def test_cards_by_role(client_for):
    expected = {
        "warehouse": ["待上架的入库", "待拣货", "进行中的盘点", "即将过期的批次"],
        "dispatcher": ["已计划，待拣货", "已拣货，待装车", "已装车，待发运", "在途"],
        "driver": ["我今天的站点"],
        "pharmacist": ["待审核的订单", "待结算的订单"],
        "qc": ["待检批次"],
        "health": ["逾期未检测", "处置中的疫情", "管控中的场所"],
        "property": ["待受理的申请", "待复核的申请", "待审批的申请", "已退回补充材料"],
        "tenant": ["我的租赁合同", "我的租金减免申请", "决定书"],
        "fuel": ["凤凰加油站"],
        "procurement": ["待下单", "待收货"],
        "auditor": ["最近变更", "报表"],
    }
    for username, titles in expected.items():
        html = client_for(username).get("/").content.decode()
        for title in titles:
            assert title in html, (username, title)


def test_empty_cards_say_what_to_do_next(client_for):
    html = client_for("qc").get("/").content.decode()
    assert 'data-count="0"' in html
    assert "暂无待检验的批次" in html


def test_the_health_officer_sees_a_site_put_under_control(client_for, user):
    site = Site.objects.get(code="HT-WYN")
    org_actions.set_site_status(site, "under_control", reason="密接", actor=user("commander"))
    html = client_for("health").get("/").content.decode()
    card = html.split('id="card-sites_under_control"', 1)[1].split("</section>", 1)[0]
    assert 'data-count="1"' in card
    assert site.name in card
    assert f"/orgs/sites/{site.pk}/" in card or f"sites/{site.pk}" in card
    assert timezone.localdate().strftime("%Y年") in html


def test_the_tenant_sees_its_own_lease_and_nothing_of_other_tenants(client_for, user, base):
    from baogong.core.audit import SystemActor
    from baogong.property import actions as property_actions
    from baogong.property.tests.conftest import World

    world = World()
    own = world.lease(code="L-001", tenant=world.shop)
    world.lease(code="L-002", tenant=world.noodles, units=("102",))
    property_actions.link_portal_user(world.shop, user("tenant"), actor=SystemActor("tests"))
    client = client_for("tenant")
    html = client.get("/").content.decode()
    card = html.split('id="card-my_leases"', 1)[1].split("</section>", 1)[0]
    assert 'data-count="1"' in card
    assert f"/property/leases/{own.pk}/" in card
    assert "L-002" not in html
    assert client.get(f"/property/leases/{own.pk}/").status_code == 200
    # no application yet: the card says where to apply
    applications = html.split('id="card-my_applications"', 1)[1].split("</section>", 1)[0]
    assert 'data-count="0"' in applications and "打开您的租约" in applications


def test_error_pages_speak_chinese(client_for):
    # their messages were marked with an alias makemessages did not know, so never translated
    client = client_for("tenant")
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert "您要找的页面不存在。" in page.content.decode()
    refused = client.get("/audit/")
    assert refused.status_code == 403
    assert "您没有打开此页面的权限。" in refused.content.decode()


def test_the_driver_sees_todays_stops_in_order_with_map_links(client_for, user, make_vehicle, make_driver, cygs):
    import datetime as dt

    from baogong.fleet import actions as fleet_actions
    from baogong.fleet.tasks import run_plan

    today = timezone.localdate()
    truck = make_vehicle("沪A10001", capacity_kg=3000)
    sites = [Site.objects.get(code=c) for c in ("EH-TY", "HT-WYN", "HT-QJ")]
    stops = [fleet_actions.StopInput(s, demand_kg=100, reference=f"DN-{s.code}") for s in sites]
    plan = fleet_actions.create_plan(cygs, today, [truck], stops, options={"time_limit_s": 1}, actor=user("dispatcher"))
    run_plan(plan)
    driver = make_driver(user=user("driver"), licence_expiry=today + dt.timedelta(days=365))
    fleet_actions.assign_driver(plan.routes.get(), driver, actor=user("dispatcher"))
    html = client_for("driver").get("/").content.decode()
    card = html.split('id="card-my_stops"', 1)[1].split("</section>", 1)[0]
    assert 'data-count="3"' in card
    ordered = sorted(plan.stops.select_related("site"), key=lambda s: s.position)
    positions = [card.index(f"{s.position}. {s.site.name}") for s in ordered]
    assert positions == sorted(positions)
    assert card.count("https://uri.amap.com/marker?") == sum(1 for s in sites if s.lat is not None)
    assert f"/fleet/routes/{plan.routes.get().pk}/sheet.pdf" in card
