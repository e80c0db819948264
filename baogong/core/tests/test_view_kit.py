"""The plumbing kit of pages: one way to show a refused action, one shape of a POST action."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import HttpResponseRedirect
from django.test import RequestFactory

from baogong.core.actionviews import form_page, run_action, run_form, run_panel_form
from baogong.core.errors import Conflict, DomainError, ValidationFailed, require_text
from baogong.core.forms import domain_error_list, domain_error_text, show_domain_error, show_form_errors


class _Form(forms.Form):
    qty = forms.IntegerField()
    reason = forms.CharField(required=False)


def _request():
    request = RequestFactory().post("/x/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _texts(request):
    return [(m.level_tag, str(m)) for m in get_messages(request)]


def test_details_go_on_their_fields_and_the_message_stays_out_when_all_fit():
    form = _Form({"qty": "3"})
    form.is_valid()

    show_domain_error(form, ValidationFailed(details={"qty": ["Too many."], "reason": "Say why."}))

    assert form.errors == {"qty": ["Too many."], "reason": ["Say why."]}


def test_details_without_a_field_and_the_message_become_non_field_errors():
    form = _Form({"qty": "3"})
    form.is_valid()

    show_domain_error(form, Conflict("Stock moved.", details={"qty": ["Only 2."], "lines": [{"message": "A: gone"}]}))

    assert form.non_field_errors() == ["Stock moved.", "A: gone"]
    assert form.errors["qty"] == ["Only 2."]


def test_an_error_without_details_shows_its_message_on_the_form():
    form = _Form({"qty": "3"})
    form.is_valid()

    show_domain_error(form, Conflict("Not now."))

    assert form.non_field_errors() == ["Not now."]


def test_on_a_request_one_message_says_the_message_then_each_detail_once():
    request = _request()
    shortage = {"name": "N95", "requested": 5, "available": 2}

    show_domain_error(request, Conflict("Refused.", details={"qty": ["Too many.", "Refused."], "lines": [shortage]}))

    assert _texts(request) == [("error", "Refused. Too many.; N95：需要 5，可供 2")]


def test_texts_and_list_of_an_error():
    assert domain_error_text(DomainError("Plain.")) == "Plain."
    assert domain_error_list(DomainError("Plain.")) == ["Plain."]
    assert domain_error_list(DomainError("X", details={"a": ["one"], "b": {"c": ["two"]}})) == ["one", "c: two"]


def test_form_errors_become_messages():
    request = _request()
    form = _Form({})
    form.is_valid()

    show_form_errors(request, form)

    assert _texts(request) == [("error", "该字段是必填项。")]


def test_run_action_says_done_and_answers_then():
    request = _request()

    response = run_action(request, lambda: 7, done=lambda n: f"{n} done", then=lambda n: HttpResponseRedirect(f"/{n}/"))

    assert response.url == "/7/"
    assert _texts(request) == [("success", "7 done")]


def test_run_action_shows_a_refusal_and_answers_refused_or_then():
    def refuse():
        raise Conflict("No.")

    request = _request()
    back = HttpResponseRedirect("/back/")

    assert run_action(request, refuse, done="never", then=back) is back
    assert (
        run_action(request, refuse, done="never", then=lambda _: back, refused=HttpResponseRedirect("/r/")).url == "/r/"
    )
    assert _texts(request) == [("error", "No."), ("error", "No.")]


def test_run_action_needs_refused_when_then_depends_on_the_result():
    def refuse():
        raise Conflict("No.")

    with pytest.raises(TypeError):
        run_action(_request(), refuse, done="never", then=lambda _: HttpResponseRedirect("/"))


def test_run_action_lets_other_errors_through():
    def broken():
        raise KeyError("x")

    with pytest.raises(KeyError):
        run_action(_request(), broken, done="never", then=HttpResponseRedirect("/"))


def test_run_form_calls_the_action_of_a_valid_post_and_says_what_happened():
    request = _request()
    request.POST = {"qty": "3"}  # type: ignore[assignment]
    form = _Form(request.POST)
    calls = []

    answer = run_form(
        request,
        form,
        lambda: calls.append(form.cleaned_data["qty"]) or 7,
        done=lambda n: f"Saved {n}.",
        then=lambda n: HttpResponseRedirect(f"/done/{n}/"),
    )

    assert calls == [3]
    assert answer is not None and answer["Location"] == "/done/7/"
    assert _texts(request) == [("success", "Saved 7.")]


def test_run_form_puts_a_refusal_on_the_form_and_the_page_answers_400():
    request = _request()
    form = _Form({"qty": "3"})

    def refuse():
        raise ValidationFailed(details={"qty": ["Too many."]})

    answer = run_form(request, form, refuse, done="Saved.", then=HttpResponseRedirect("/done/"))

    assert answer is None
    assert form.errors == {"qty": ["Too many."]}
    assert _texts(request) == []
    assert form_page(request, "core/import.html", {"form": form}, form).status_code == 400


def test_run_form_leaves_a_get_and_an_invalid_form_to_the_page():
    get = RequestFactory().get("/x/")
    assert run_form(get, _Form(), pytest.fail, done="Saved.", then=HttpResponseRedirect("/")) is None
    invalid = _Form({"qty": "many"})
    assert run_form(_request(), invalid, pytest.fail, done="Saved.", then=HttpResponseRedirect("/")) is None
    assert list(invalid.errors) == ["qty"]


def test_run_panel_form_gives_the_cleaned_data_to_the_action_and_answers_then():
    request = _request()
    back = HttpResponseRedirect("/detail/")
    seen = []

    answer = run_panel_form(
        request, _Form({"qty": "3"}), lambda data: seen.append(data["qty"]) or 7, done=lambda n: f"{n} ok", then=back
    )

    assert answer is back
    assert seen == [3]
    assert _texts(request) == [("success", "7 ok")]


def test_run_panel_form_shows_an_invalid_form_or_a_refusal_as_messages_and_answers_then():
    def refuse(_data):
        raise Conflict("No.")

    request = _request()
    back = HttpResponseRedirect("/detail/")

    invalid = _Form({"qty": "many"})

    assert run_panel_form(request, invalid, pytest.fail, done="never", then=back) is back
    assert run_panel_form(request, _Form({"qty": "3"}), refuse, done="never", then=back) is back
    assert _texts(request) == [("error", invalid.errors["qty"][0]), ("error", "No.")]


def test_a_page_says_its_title_once_and_shows_it_in_the_tab_and_as_its_heading(rf):
    from django.template import engines

    page = engines["django"].from_string(
        '{% extends "core/page.html" %}{% load i18n %}'
        '{% block title %}{{ what }} &amp; {% translate "Save" %}{% endblock %}{% block page %}<p>body</p>{% endblock %}'
    )

    html = page.render({"what": "<b>Stock</b>"}, rf.get("/"))

    assert '<h1 class="h3">&lt;b&gt;Stock&lt;/b&gt; &amp; 保存</h1>\n<p>body</p>' in html
    assert "<title>&lt;b&gt;Stock&lt;/b&gt; &amp; 保存 · " in html


def test_the_form_page_shows_the_title_and_the_form(rf):
    form = _Form({"qty": "x"})
    form.is_valid()
    request = rf.get("/")
    request.user = AnonymousUser()

    response = form_page(request, "core/form_page.html", {"form": form, "title": "New vehicle"}, form)

    html = response.content.decode()
    assert response.status_code == 400
    assert '<h1 class="h3">New vehicle</h1>' in html
    assert 'name="qty"' in html


def test_require_text_answers_the_stripped_text_or_refuses_on_the_field():
    assert require_text("  late  ", ValidationFailed, "Give the reason.") == "late"
    with pytest.raises(ValidationFailed) as refused:
        require_text(" \n", ValidationFailed, "Give the reason.", field="cut_reason")
    assert refused.value.details == {"cut_reason": ["Give the reason."]}
