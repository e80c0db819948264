"""Every figure of the work summary equals an independent query over the records it links to."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import F, Sum
from django.urls import reverse
from openpyxl import load_workbook

from baogong.command.models import CommunicationPost, Inspection
from baogong.core.tests.pdf import has_cjk_font
from baogong.finance.models import CostLine
from baogong.orgs.models import Site
from baogong.reports.documents import SUMMARY, build_report, to_markdown
from baogong.reports.figures import PROVIDERS, Period, collect
from baogong.reports.tests.conftest import FROM, TO

pytestmark = pytest.mark.django_db


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    return dt.datetime.combine(start, dt.time(0, 0), tzinfo=tz), dt.datetime.combine(
        end + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz
    )


HISTORY_KEYS = {"sites_not_normal", "held_dispatches", "recalled_lots", "unmet_demand"}


def independent_history(key: str, start: dt.date, end: dt.date):
    """The as-of-the-period figures (reports/daily.py), straight from their history tables."""
    if key == "sites_not_normal":
        from baogong.orgs.models import SiteStatusChange

        begin, finish = _bounds(start, end)
        sites = set()
        for site in Site.objects.all():
            changes = list(SiteStatusChange.objects.filter(site=site).order_by("at", "pk"))
            earlier = [c.to_status for c in changes if c.at < begin]
            held = earlier[-1:] or ([changes[0].from_status] if changes else [site.status])
            held += [c.to_status for c in changes if begin <= c.at < finish]
            if any(status != "normal" for status in held):
                sites.add(site.pk)
        return len(sites)
    if key == "held_dispatches":
        from django.utils import timezone

        from baogong.distribution.models import DispatchHold

        holds = DispatchHold.objects.filter(at__gte=_bounds(start, end)[0], at__lt=_bounds(start, end)[1])
        # each shipment once a local day, however often its load or dispatch was refused that day
        return len({(h.shipment_id, timezone.localtime(h.at).date()) for h in holds})
    if key == "recalled_lots":
        from baogong.procurement.models import CounterfeitCase

        cases = CounterfeitCase.objects.filter(
            marked_at__gte=_bounds(start, end)[0], marked_at__lt=_bounds(start, end)[1]
        )
        return len({c.lot.batch for c in cases} | {lot.batch for c in cases for lot in c.lots.all()})
    if key == "unmet_demand":
        from baogong.distribution.models import RequestLine

        return sum(
            max(0, (line.approved_qty if line.approved_qty is not None else line.qty) - line.shipped_qty)
            for line in RequestLine.objects.filter(request__status__in=["submitted", "approved", "partly_allocated"])
        )
    raise AssertionError(key)


def independent_operations(key: str, start: dt.date, end: dt.date):
    """Deliveries, fuel, incidents, pharmacy orders and people on duty, straight from the tables."""
    if key.startswith("delivered_"):
        from baogong.distribution.models import ShipmentLine

        qs = ShipmentLine.objects.filter(
            shipment__status__in=["delivered", "closed"],
            shipment__delivered_at__date__range=(start, end),
            received_qty__gt=0,
        )
        if key.endswith("bureaus_towns"):
            qs = qs.filter(shipment__recipient__kind__in=["government_bureau", "street_office"])
        if key.startswith("delivered_items"):
            return int(qs.aggregate(t=Sum("received_qty"))["t"] or 0)
        value = qs.aggregate(t=Sum(F("received_qty") * F("unit_cost")))["t"] or 0
        return Decimal(value).quantize(Decimal("0.01"))
    if key == "fuel_served":
        from django.utils import timezone

        from baogong.fleet.models import FuelSale

        tz = timezone.get_current_timezone()
        begin = dt.datetime.combine(start, dt.time(0, 0), tzinfo=tz)
        finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz)
        qs = FuelSale.objects.filter(green_channel=True, sold_at__gte=begin, sold_at__lt=finish)
        return int(qs.aggregate(t=Sum("litres"))["t"] or 0)
    if key == "incidents_opened":
        from baogong.people.models import Incident
        from baogong.people.queries import day_bounds

        return Incident.objects.filter(opened_at__gte=day_bounds(start)[0], opened_at__lt=day_bounds(end)[1]).count()
    if key in {"playbook_steps_done", "playbook_steps_open"}:
        from django.db.models import Q

        from baogong.command.models import PlaybookStep
        from baogong.command.playbooks import playbook_kind, step_codes
        from baogong.people.models import Incident
        from baogong.people.queries import day_bounds

        begin, finish = day_bounds(start)[0], day_bounds(end)[1]
        if key == "playbook_steps_done":
            return PlaybookStep.objects.filter(done_at__gte=begin, done_at__lt=finish).count()
        open_then = Incident.objects.filter(Q(closed_at__isnull=True) | Q(closed_at__gt=finish), opened_at__lte=finish)
        return sum(
            len(step_codes(playbook_kind(i.site.kind if i.site else None)))
            - PlaybookStep.objects.filter(incident=i, done_at__lte=finish).count()
            for i in open_then.select_related("site")
        )
    if key == "pharmacy_orders_served":
        from baogong.pharmacy.models import Order

        return Order.objects.filter(status="delivered", delivered_at__date__range=(start, end)).count()
    if key in {"people_on_duty", "volunteer_person_times"}:
        from baogong.people.models import Deployment

        overlapping = Deployment.objects.filter(starts_on__lte=end, ends_on__gte=start)
        if key == "people_on_duty":
            duties = ["supply", "production", "business", "watch"]
            return overlapping.filter(duty_type__in=duties).values("person_id").distinct().count()
        return Deployment.objects.filter(duty_type="volunteer_team", starts_on__lte=end, ends_on__gte=start).count()
    return independent_giving(key, start, end)


def independent_giving(key: str, start: dt.date, end: dt.date):
    """Lodging, donations, food to tenants and work sites, customers' orders, from the tables."""
    from baogong.distribution.models import ShipmentLine
    from baogong.people.queries import day_bounds

    delivered = ShipmentLine.objects.filter(
        shipment__status__in=["delivered", "closed"], shipment__delivered_at__date__range=(start, end)
    )
    if key == "lodging_stays":
        from baogong.people.models import LodgingStay

        return LodgingStay.objects.filter(
            checked_in_at__gte=day_bounds(start)[0], checked_in_at__lt=day_bounds(end)[1]
        ).count()
    if key == "meals_served":
        from baogong.people.models import MealLog

        return MealLog.objects.filter(served_on__range=(start, end)).aggregate(t=Sum("servings"))["t"] or 0
    if key == "donations_received":
        from baogong.inventory.models import ReceiptLine

        lines = ReceiptLine.objects.filter(
            lot__unit_cost=0, lot__qc_status="released", receipt__created_at__date__range=(start, end)
        )
        return lines.aggregate(t=Sum("qty"))["t"] or 0
    if key == "food_to_tenants_and_sites":
        lines = delivered.filter(
            shipment__recipient__kind__in=["commercial_venue", "delivery_point"],
            item__category__code__startswith="LIFE",
        )
        return int(lines.aggregate(t=Sum("received_qty"))["t"] or 0)
    if key == "customer_orders_delivered":
        value = delivered.filter(shipment__recipient__kind="customer").aggregate(
            t=Sum(F("received_qty") * F("unit_cost"))
        )["t"]
        return Decimal(value or 0).quantize(Decimal("0.01"))
    raise AssertionError(f"no independent query for {key}")


def independent(key: str, start: dt.date, end: dt.date):
    """Each figure recomputed straight from the tables, without the apps' queries."""
    if key in {"field_hospital_costs", "mission_costs"}:
        qs = CostLine.objects.filter(status="approved", incurred_on__range=(start, end))
        if key == "field_hospital_costs":
            qs = qs.filter(mission__kind="field_hospital")
        return qs.aggregate(t=Sum("amount"))["t"] or Decimal("0.00")
    posts = CommunicationPost.objects.filter(published_on__range=(start, end))
    if key == "posts_published":
        return posts.filter(kind="own").count()
    if key == "post_reads":
        return posts.filter(kind="own").aggregate(t=Sum("reads"))["t"] or 0
    if key == "media_coverage":
        return posts.filter(kind="coverage").count()
    inspections = Inspection.objects.filter(follows__isnull=True, inspected_on__range=(start, end))
    if key == "venue_inspections":
        return inspections.count()
    if key == "venue_compliance_rate":
        agg = inspections.aggregate(c=Sum("items_compliant"), n=Sum("items_checked"))
        return (Decimal(agg["c"]) * 100 / agg["n"]).quantize(Decimal("0.1"))
    if key in HISTORY_KEYS:
        return independent_history(key, start, end)
    if key == "relief_approved":
        from baogong.property.models import ReliefApplication

        return ReliefApplication.objects.filter(status="approved", submitted_on__lte=end).count()
    if key in {"health_tests", "health_positives"}:
        from baogong.people.models import HealthTest
        from baogong.people.queries import day_bounds

        qs = HealthTest.objects.filter(
            taken_at__gte=day_bounds(start)[0], taken_at__lt=day_bounds(end)[1], person__kind__in=["staff", "volunteer"]
        )
        return qs.filter(result="positive").count() if key == "health_positives" else qs.count()
    return independent_operations(key, start, end)


def test_every_summary_figure_equals_its_independent_query(records, user):
    # when
    figures = collect(user("commander"), Period(FROM, TO))
    # then
    keys = {f.key for f in figures}
    assert {"field_hospital_costs", "mission_costs", "posts_published", "post_reads", "media_coverage"} <= keys
    assert {"venue_inspections", "venue_compliance_rate", "sites_not_normal"} <= keys
    for f in figures:
        assert f.value == independent(f.key, FROM, TO), f.key
        assert f.query
    values = {f.key: f.value for f in figures}
    assert values["field_hospital_costs"] == Decimal("1600000.74")
    assert values["mission_costs"] == Decimal("1604321.74")
    assert (values["posts_published"], values["post_reads"], values["media_coverage"]) == (3, 22100, 2)
    assert (values["venue_inspections"], values["venue_compliance_rate"]) == (2, Decimal("92.9"))
    # the hotel was locked down from 10 to 20 April 2022: counted for the period though normal today
    assert values["sites_not_normal"] == 1
    assert Site.objects.get(code="HT-WYN").status == "normal"


def test_a_figure_with_nothing_to_show_does_not_appear(records, user):
    # given a day after the records, with no inspection
    day = TO + dt.timedelta(days=1)
    # when
    keys = {f.key for f in collect(user("commander"), Period(day, day))}
    # then the count is there (zero), the rate over no inspections is not
    assert "venue_inspections" in keys
    assert "venue_compliance_rate" not in keys


def test_each_figure_links_to_the_records_behind_it(records, client_for, user):
    figures = {f.key: f for f in collect(user("commander"), Period(FROM, TO))}
    client = client_for("commander")
    costs = client.get(figures["field_hospital_costs"].link)
    assert costs.status_code == 200
    assert costs.context["total"] == figures["field_hospital_costs"].value
    posts = client.get(figures["post_reads"].link)
    assert posts.context["totals"]["reads"] == figures["post_reads"].value
    assert posts.context["totals"]["count"] == figures["posts_published"].value
    sites = client.get(figures["sites_not_normal"].link)
    assert sites.status_code == 200
    coverage = client.get(figures["media_coverage"].link)
    assert coverage.context["totals"]["count"] == figures["media_coverage"].value


def test_summary_reads_like_the_article(records, user):
    report = build_report(user("commander"), SUMMARY, Period(FROM, TO))
    text = to_markdown(report)
    assert "2022年04月01日至2022年05月31日" in text
    assert "承担方舱医院运行经费160.00万元" in text
    assert "共发布网页新闻、微信推送等3条，累计阅读22,100次，获外部媒体主题报道2篇。" in text
    # the sources in words with a link to the records, money as people read it, no code
    assert "- **方舱医院运行经费**：¥1,600,000.74（160.00万元）。方舱医院保供任务中" in text
    assert "[查看明细](http" in text
    assert "finance.queries" not in text


def test_command_writes_markdown_to_stdout_and_files(records, tmp_path, capsys):
    call_command("report", "summary", "--from", "2022-04-01", "--to", "2022-05-31")
    out = capsys.readouterr().out
    assert out.startswith("# 保供工作总结（2022年04月01日—2022年05月31日）")
    assert "累计阅读22,100次" in out
    # excel with a footnote sheet naming each figure's query
    target = tmp_path / "summary.xlsx"
    call_command(
        "report", "summary", "--from", "2022-04-01", "--to", "2022-05-31", "--format", "xlsx", "--output", str(target)
    )
    workbook = load_workbook(target)
    data = {row[0]: row[2] for row in workbook["数据 Figures"].iter_rows(min_row=2, values_only=True)}
    assert data["post_reads"] == 22100
    assert data["field_hospital_costs"] == 1600000.74
    notes = {row[0]: row[2] for row in workbook["脚注 Footnotes"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert notes["post_reads"].startswith("command.queries.post_totals")
    # pdf with the CJK font embedded
    pdf = tmp_path / "daily.pdf"
    call_command("report", "daily", "--date", "2022-04-15", "--format", "pdf", "--output", str(pdf))
    assert has_cjk_font(pdf.read_bytes())


def test_daily_report_counts_only_that_day(records, user):
    figures = {f.key: f.value for f in collect(user("commander"), Period(dt.date(2022, 4, 15), dt.date(2022, 4, 15)))}
    assert figures["posts_published"] == 1
    assert figures["post_reads"] == 6000
    assert figures["mission_costs"] == Decimal("4321.00")


def test_report_pages_and_downloads(records, client_for):
    client = client_for("commander")
    page = client.get(reverse("reports:summary"), {"from": "2022-04-01", "to": "2022-05-31"})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-figure="field_hospital_costs"' in body
    assert "/finance/costs/?mission_kind=field_hospital" in body
    pdf = client.get(reverse("reports:daily"), {"date": "2022-04-15", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    xlsx = client.get(reverse("reports:summary"), {"from": "2022-04-01", "to": "2022-05-31", "format": "xlsx"})
    assert "脚注 Footnotes" in load_workbook(io.BytesIO(xlsx.content)).sheetnames


def test_officers_see_only_their_figures_and_others_are_refused(records, client_for, user):
    health = {f.key for f in collect(user("health"), Period(FROM, TO))}
    assert "field_hospital_costs" not in health
    assert "venue_inspections" in health
    assert client_for("warehouse").get(reverse("reports:summary")).status_code == 403
    assert client_for("auditor").get(reverse("reports:summary")).status_code == 200


def test_registry_keys_are_unique():
    keys = [p.key for p in PROVIDERS]
    assert len(keys) == len(set(keys))
