from django.urls import path

from baogong.fleet import views

app_name = "fleet"

urlpatterns = [
    path("fleet/vehicles/", views.vehicle_list, name="vehicle_list"),
    path("fleet/vehicles/new/", views.vehicle_create, name="vehicle_create"),
    path("fleet/vehicles/<int:pk>/", views.vehicle_detail, name="vehicle_detail"),
    path("fleet/vehicles/<int:pk>/passes/new/", views.pass_create, name="pass_create"),
    path("fleet/passes/<int:pk>/revoke/", views.pass_revoke, name="pass_revoke"),
    path("fleet/passes/<int:pk>/scan/", views.pass_scan, name="pass_scan"),
    path("fleet/drivers/", views.driver_list, name="driver_list"),
    path("fleet/drivers/new/", views.driver_create, name="driver_create"),
    path("fleet/my-shipments/", views.my_shipments, name="my_shipments"),
    path("fleet/plans/", views.plan_list, name="plan_list"),
    path("fleet/plans/new/", views.plan_create, name="plan_create"),
    path("fleet/plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("fleet/plans/<int:pk>/solve/", views.plan_solve, name="plan_solve"),
    path("fleet/plans/<int:pk>/accept/", views.plan_accept, name="plan_accept"),
    path("fleet/stops/<int:pk>/move/", views.stop_move, name="stop_move"),
    path("fleet/routes/<int:pk>/driver/", views.route_assign_driver, name="route_assign_driver"),
    path("fleet/routes/<int:pk>/sheet.pdf", views.route_sheet, name="route_sheet"),
    path("fleet/stations/", views.station_list, name="station_list"),
    path("fleet/stations/<int:pk>/", views.station_detail, name="station_detail"),
    path("fleet/stations/<int:pk>/report.pdf", views.station_report_pdf, name="station_report_pdf"),
    path("fleet/stations/<int:pk>/<slug:what>/", views.station_post, name="station_post"),
]
