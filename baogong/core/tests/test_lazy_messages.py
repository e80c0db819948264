"""The message storage is made on first use (issue 25): an API call builds none, a page that adds
or reads a message answers exactly as with Django's ``MessageMiddleware``."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.module_loading import import_string

from baogong.core import middleware


def _answer(middleware_class: Any, view: Any, cookies: dict[str, str] | None = None) -> HttpResponse:
    request = RequestFactory().get("/")
    request.COOKIES.update(cookies or {})
    handler = SessionMiddleware(middleware_class(view))
    return handler(request)


def _adds(request: Any) -> HttpResponse:
    messages.success(request, "已保存 Saved")
    return HttpResponse("ok")


def _reads(request: Any) -> HttpResponse:
    return HttpResponse(" | ".join(str(m) for m in messages.get_messages(request)))


def _ignores(request: Any) -> HttpResponse:
    return HttpResponse("ok")


@pytest.mark.parametrize("view", [_adds, _ignores])
def test_the_answer_is_djangos(view, db):
    ours, django_s = _answer(middleware.MessageMiddleware, view), _answer(DjangoMessageMiddleware, view)
    assert ours.content == django_s.content
    assert {k: v.value for k, v in ours.cookies.items()}.keys() == {
        k: v.value for k, v in django_s.cookies.items()
    }.keys()


def test_a_message_added_is_read_on_the_next_page(db):
    first = _answer(middleware.MessageMiddleware, _adds)
    cookie = first.cookies["messages"].value
    assert _answer(middleware.MessageMiddleware, _reads, {"messages": cookie}).content.decode() == "已保存 Saved"


def test_a_request_that_never_touches_messages_builds_no_storage(db, monkeypatch):
    built = []
    original = middleware.default_storage

    def storage(request: Any) -> Any:
        built.append(request)
        return original(request)

    monkeypatch.setattr(middleware, "default_storage", storage)
    _answer(middleware.MessageMiddleware, _ignores)
    assert built == []
    _answer(middleware.MessageMiddleware, _adds)
    assert len(built) == 1


def test_an_api_call_builds_no_message_storage(api_for, settings, monkeypatch):
    storage_class = import_string(settings.MESSAGE_STORAGE)
    built = []
    original = storage_class.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(storage_class, "__init__", init)
    assert api_for("warehouse").get("/api/v1/sites/").status_code == 200
    assert built == []
    assert _answer(middleware.MessageMiddleware, _adds).status_code == 200
    assert len(built) == 1  # counted when one is made
