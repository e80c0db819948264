from django.urls import path

from baogong.people import views

app_name = "people"

urlpatterns = [
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/dashboard/", views.dashboard, name="dashboard"),
    path("people/check-in/", views.check_in, name="check_in"),
    path("people/deployments/", views.deployment_list, name="deployment_list"),
    path("people/dispatch/", views.dispatch_batch, name="dispatch_batch"),
    path("people/tests/import/", views.import_tests, name="import_tests"),
    path("people/tests/template.xlsx", views.tests_template, name="tests_template"),
    path("people/tests/overdue/", views.overdue_tests, name="overdue_tests"),
    path("people/incidents/", views.incident_list, name="incident_list"),
    path("people/incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("people/sites/<int:pk>/lock-down/", views.lock_down_site, name="lock_down_site"),
    path(
        "people/incidents/<int:pk>/sites/<int:row>/confirm/",
        views.confirm_site_control,
        name="confirm_site_control",
    ),
    path("people/incidents/<int:pk>/sites/<int:row>/lift/", views.lift_site_control, name="lift_site_control"),
    path("people/sites/<int:pk>/occupancy/", views.occupancy, name="occupancy"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/reveal/", views.reveal_personal_data, name="reveal_personal_data"),
    path("people/<int:pk>/tests/", views.record_health_test, name="record_health_test"),
    path("people/<int:pk>/deploy/", views.deploy_person, name="deploy_person"),
    path("people/<int:pk>/clear/", views.clear_person, name="clear_person"),
]
