from django.urls import path

from baogong.orgs import views

app_name = "orgs"

urlpatterns = [
    path("sites/", views.site_list, name="site_list"),
    path("sites/new/", views.site_create, name="site_create"),
    path("sites/import/", views.site_import, name="site_import"),
    path("sites/template.xlsx", views.site_template, name="site_template"),
    path("sites/<int:pk>/", views.site_detail, name="site_detail"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site_edit"),
    path("sites/<int:pk>/status/", views.site_set_status, name="site_set_status"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("policy-changes/", views.change_list, name="change_list"),
    path("policy-changes/<int:pk>/decide/", views.change_decide, name="change_decide"),
]
