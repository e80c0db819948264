"""The project's URLconf plus two views that fail, to see what users get on a server error."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from baogong.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret-internal-detail")


urlpatterns = [path("boom/", boom), path("api/v1/boom/", boom), *urlpatterns]
