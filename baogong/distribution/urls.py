from django.urls import path

from baogong.distribution import views

app_name = "distribution"

urlpatterns = [
    path("distribution/requests/", views.request_list, name="request_list"),
    path("distribution/requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("distribution/requests/<int:pk>/<str:step>/", views.request_step, name="request_step"),
    path("distribution/request-links/", views.request_links, name="request_links"),
    path("distribution/requests/import/", views.request_import, name="request_import"),
    path("distribution/norms/", views.norm_list, name="norm_list"),
    path("distribution/norms/new/", views.norm_create, name="norm_create"),
    path("distribution/norms/<int:pk>/", views.norm_edit, name="norm_edit"),
    path("distribution/allocation/", views.allocation_home, name="allocation_home"),
    path("distribution/allocation/<int:pk>/", views.allocation_run, name="allocation_run"),
    path("distribution/replan/<int:pk>/", views.replan, name="replan"),
    path("distribution/shipments/", views.shipment_list, name="shipment_list"),
    path("distribution/shipments/<int:pk>/", views.shipment_detail, name="shipment_detail"),
    path("distribution/shipments/import-loads/", views.load_import, name="import_loads"),
    path("distribution/shipments/<int:pk>/split/", views.shipment_split, name="shipment_split"),
    path("distribution/shipments/<int:pk>/merge/", views.shipment_merge, name="shipment_merge"),
    path("distribution/shipments/<int:pk>/picklist/", views.shipment_picklist, name="shipment_picklist"),
    path("distribution/shipments/<int:pk>/delivery-note.pdf", views.delivery_note, name="delivery_note"),
    path("distribution/value/", views.delivered_value, name="delivered_value"),
    path("r/<str:token>/", views.request_link_page, name="request_link_page"),
    path("d/<str:token>/", views.delivery_page, name="delivery_page"),
    path("d/<str:token>/photo/", views.delivery_photo, name="delivery_photo"),
]
