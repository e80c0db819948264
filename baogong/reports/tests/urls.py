"""The site's pages limited to the command-centre apps and the kernel.

The command centre's tests run against this URL configuration so that another app's
half-finished ``urls.py`` (apps are built in parallel) cannot break them; the views, templates,
menu and permissions are the real ones.
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from baogong.core.views import healthz
from baogong.reports.views import home

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("baogong.core.urls")),
    path("", include("baogong.orgs.urls")),
    path("", include("baogong.finance.urls")),
    path("", include("baogong.command.urls")),
    path("", include("baogong.reports.urls")),
]
