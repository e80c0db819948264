"""``/api/v1/``: one router for every app's viewsets, the OpenAPI schema and its docs page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from baogong.registry import collect


class Router(DefaultRouter):
    """Row ids in paths are at most 18 digits (64-bit on both databases): a longer one is a 404,
    never a database overflow."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):  # type: ignore[no-untyped-def]
        if getattr(viewset, "lookup_value_regex", None) is None and getattr(viewset, "lookup_field", "pk") in {
            "pk",
            "id",
        }:
            viewset.lookup_value_regex = "[0-9]{1,18}"
        return super().get_lookup_regex(viewset, lookup_prefix)


router = Router(trailing_slash=True)
for prefix, viewset, basename in collect("api", "routes"):
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    # Swagger UI with its init script and page styles as files: nothing inline (BAOGONG_CSP_API_DOCS).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:openapi", template_name="core/swagger_ui.html"),
        name="docs",
    ),
    *collect("api", "api_urlpatterns"),
    path("", include(router.urls)),
]
