from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from baogong.core.views import healthz
from baogong.registry import app_modules
from baogong.reports.views import home

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("baogong.api_urls", "api"), namespace="api")),
]
urlpatterns += [path("", include(module.__name__)) for _app, module in app_modules("urls")]

handler400 = "baogong.core.views.bad_request"
handler403 = "baogong.core.views.permission_denied"
handler404 = "baogong.core.views.not_found"
handler500 = "baogong.core.views.server_error"
