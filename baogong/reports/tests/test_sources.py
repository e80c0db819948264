"""The work summary says where each figure comes from in words, with a link, and formats money."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from baogong.reports.figures import PROVIDERS, Figure
from baogong.reports.sources import SOURCES, display_value, yuan

pytestmark = pytest.mark.django_db


def _figure(value, unit):
    return Figure("k", "supply", "标签", value, unit, "", "", "")


def test_every_registered_figure_has_a_source_in_words():
    # given every figure the registry knows (a new figure must say where it comes from)
    missing = [p.key for p in PROVIDERS if p.key not in SOURCES]
    # then
    assert missing == []
    for sentence in SOURCES.values():
        assert sentence.endswith("。")
        assert "(" not in sentence and "queries" not in sentence and "_" not in sentence


def test_money_reads_as_yuan_and_wan():
    assert yuan(Decimal("31100000")) == "3,110.00万元"
    assert yuan(Decimal("1234.5")) == "1,234.50元"
    assert display_value(_figure(Decimal("31100000"), "元")) == "¥31,100,000.00（3,110.00万元）"
    assert display_value(_figure(Decimal("980.00"), "元")) == "¥980.00"
    assert display_value(_figure(1325, "件")) == "1,325 件"
    assert display_value(_figure(Decimal("92.9"), "%")) == "92.9 %"


def test_summary_page_shows_sources_as_sentences_with_links(records, client_for):
    # when
    page = client_for("commander").get(reverse("reports:summary"), {"from": "2022-04-01", "to": "2022-05-31"})
    # then no query text, each source a sentence with a link to the records
    body = page.content.decode()
    assert "queries." not in body and "<code>" not in body
    sources = body[body.index('id="figure-sources"') :]
    assert '方舱医院运行经费：<span class="text-nowrap">¥1,600,000.74（160.00万元）</span>' in sources
    assert SOURCES["field_hospital_costs"] in sources
    assert 'href="/finance/costs/?mission_kind=field_hospital' in sources
