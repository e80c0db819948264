from django.urls import path

from baogong.procurement import views

app_name = "procurement"

urlpatterns = [
    path("procurement/suppliers/", views.supplier_list, name="supplier_list"),
    path("procurement/suppliers/new/", views.supplier_create, name="supplier_create"),
    path("procurement/suppliers/<int:pk>/", views.supplier_detail, name="supplier_detail"),
    path("procurement/suppliers/<int:pk>/licences/", views.supplier_add_licence, name="add_licence"),
    path("procurement/suppliers/<int:pk>/status/", views.supplier_set_status, name="supplier_set_status"),
    path("procurement/blacklist/", views.blacklist, name="blacklist"),
    path("procurement/scorecard/", views.scorecard, name="scorecard"),
    path("procurement/orders/", views.order_list, name="order_list"),
    path("procurement/orders/new/", views.order_create, name="order_create"),
    path("procurement/orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("procurement/orders/<int:pk>/receive/", views.order_receive, name="receive_against_order"),
    path("procurement/orders/<int:pk>/<slug:step>/", views.order_step, name="order_step"),
    path("procurement/inspections/", views.inspection_list, name="inspection_list"),
    path("procurement/inspections/receipt/<int:receipt_pk>/", views.inspect, name="inspect_lot"),
    path("procurement/lots/<int:lot_pk>/counterfeit/", views.lot_mark_counterfeit, name="mark_lot_counterfeit"),
    path("procurement/recalls/", views.recall_list, name="recall_list"),
    path("procurement/recalls/<int:pk>/", views.recall_detail, name="recall_detail"),
    path("procurement/trace/", views.trace_home, name="trace_home"),
    path("procurement/trace/lots/<int:lot_pk>/", views.trace_lot, name="trace_lot"),
    path("procurement/trace/sites/<int:site_pk>/", views.trace_site, name="trace_site"),
]
