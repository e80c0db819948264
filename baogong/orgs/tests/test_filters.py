"""One filter per list (``orgs/filters.py``): the site page and the API answer the same sites
for the same query, each within the user's scope."""

from __future__ import annotations

import pytest

from baogong.orgs.models import Site
from baogong.orgs.queries import sites_for

QUERIES = [
    "kind=warehouse",
    "status=normal",
    "organisation=BYJT",
    "q=WH-",
    "q=nothing-like-this",
    "kind=warehouse&q=TXQ",
    "code=WH-TXQ",
    "",
]


def _all_codes(api, query):
    codes, url = set(), f"/api/v1/sites/?page_size=500&{query}"
    while url:
        body = api.get(url).json()
        codes |= {s["code"] for s in body["results"]}
        url = body["next"]
    return codes


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("role", ["commander", "warehouse"])
def test_the_site_page_and_api_filter_alike(base, client_for, api_for, user, role, query):
    page = client_for(role).get(f"/sites/?page_size=500&{query}")
    assert page.status_code == 200
    listed = {s.code for s in page.context["page"].paginator.object_list}
    assert listed == _all_codes(api_for(role), query)
    assert listed <= set(sites_for(user(role)).values_list("code", flat=True))


def test_the_filter_finds_by_text_and_kind(base, user):
    from baogong.orgs.filters import SiteFilter

    found = SiteFilter({"kind": "warehouse", "q": "txq"}, queryset=Site.objects.all()).qs
    assert list(found.values_list("code", flat=True)) == ["WH-TXQ"]
