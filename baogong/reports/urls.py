from django.urls import path

from baogong.reports import views

app_name = "reports"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("reports/daily/", views.daily, name="daily"),
    path("reports/summary/", views.summary, name="summary"),
    path("reports/dashboard.json", views.dashboard_data, name="dashboard_data"),
]
