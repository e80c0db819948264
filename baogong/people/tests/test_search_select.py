"""Searchable selects (core.lookups): a long list of people searches on the server, within the
user's organisations, and the form renders only the chosen person."""

from __future__ import annotations

import pytest
from django.core import signing
from django.urls import reverse

from baogong.core import lookups
from baogong.core.scoping import user_scope
from baogong.orgs.models import Organisation, Site
from baogong.people.forms import ResidentCheckForm
from baogong.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def few_over(monkeypatch):
    """Server-side search from three people up (the real threshold is 100)."""
    monkeypatch.setattr(lookups, "SERVER_SEARCH_OVER", 2)


@pytest.fixture
def people(make_person, user):
    keeper = user("warehouse")
    scope = user_scope(keeper)
    inside = Site.objects.filter(pk__in=scope.site_ids).first()
    outside_site = (
        Site.objects.exclude(pk__in=scope.site_ids).exclude(organisation_id__in=scope.organisation_ids).first()
    )
    outside_org = (
        Organisation.objects.exclude(pk__in=scope.organisation_ids).exclude(pk=outside_site.organisation_id).first()
    )
    mine = [make_person(f"张{n}", home_site=inside, organisation=inside.organisation) for n in ("一", "二", "三")]
    theirs = make_person("张外", home_site=outside_site, organisation=outside_org)
    return keeper, mine, theirs


def _results(client, url, q=""):
    response = client.get(url + "&q=" + q)
    assert response.status_code == 200
    return {r["text"]: r["value"] for r in response.json()["results"]}


def test_long_person_list_renders_only_the_chosen_one_and_a_lookup(people, few_over):
    # given a form over every person, one chosen
    _, mine, _ = people
    form = ResidentCheckForm(initial={"person": mine[1].pk}, people=Person.objects.filter(is_active=True))
    # when
    html = str(form["person"])
    # then one option besides the empty one, and the signed search URL
    assert html.count("<option") == 2
    assert f'value="{mine[1].pk}" selected' in html
    assert 'data-lookup="/lookup/?t=' in html and "data-search" in html


def test_a_short_list_renders_its_options_to_search_in_the_browser(people):
    _, mine, _ = people
    html = str(ResidentCheckForm(people=Person.objects.filter(pk__in=[p.pk for p in mine]))["person"])
    assert "data-search" in html and "data-lookup" not in html
    assert html.count("<option") == 4


def test_lookup_answers_within_the_users_scope_and_the_fields_narrowing(people, few_over, client):
    keeper, mine, theirs = people
    url = lookups.lookup_url(Person.objects.filter(is_active=True))
    client.force_login(keeper)
    # the keeper finds the people of the site and never the one outside it
    found = _results(client, url, "张")
    assert set(found) == {p.name for p in mine}
    assert _results(client, url, "二") == {"张二": str(mine[1].pk)}
    # the form's own narrowing travels signed with the URL
    narrowed = lookups.lookup_url(Person.objects.filter(is_active=True, name__in=["张一", "张二", "张三", "张外"]))
    mine[0].is_active = False
    mine[0].save(update_fields=["is_active"])
    assert set(_results(client, narrowed, "张")) == {"张二", "张三"}
    assert theirs.name not in _results(client, narrowed, "外")


def test_lookup_refuses_a_forged_token_and_a_user_without_the_permission(people, few_over, client, client_for):
    keeper, _, _ = people
    client.force_login(keeper)
    forged = signing.dumps({"m": "people.person", "f": {}}, salt="another")
    assert client.get(reverse("core:lookup"), {"t": forged, "q": "张"}).status_code == 404
    url = lookups.lookup_url(Person.objects.all())
    assert client_for("property").get(url + "&q=张").status_code == 404


def test_a_narrowing_that_cannot_travel_renders_options():
    assert lookups.simple_filters(Person.objects.filter(home_site__code="WH-TXQ")) is None
    assert lookups.simple_filters(Person.objects.filter(kind="staff", is_active=True)) == {
        "kind__exact": "staff",
        "is_active__exact": True,
    }
