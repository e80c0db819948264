"""``/api/v1/``: one router for every app's viewsets, the OpenAPI schema and its docs page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from baogong.registry import collect

router = DefaultRouter(trailing_slash=True)
for prefix, viewset, basename in collect("api", "routes"):
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:openapi"), name="docs"),
    *collect("api", "api_urlpatterns"),
    path("", include(router.urls)),
]
