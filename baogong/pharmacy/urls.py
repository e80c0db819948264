from django.urls import path

from baogong.pharmacy import views, views_courier, views_dispensing

app_name = "pharmacy"

urlpatterns = [
    path("pharmacy/order/", views.order_start, name="order_start"),
    path("pharmacy/order/basket/", views.basket_update, name="basket_update"),
    path("pharmacy/order/checkout/", views.checkout, name="checkout"),
    path("pharmacy/order/placed/", views.order_placed, name="order_placed"),
    path("pharmacy/o/<str:number>/", views.order_status, name="order_status"),
    path("pharmacy/phone-order/", views.phone_order, name="phone_order"),
    path("pharmacy/orders/", views.order_list, name="order_list"),
    path("pharmacy/orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("pharmacy/orders/<int:pk>/approve/", views.order_approve, name="approve_order"),
    path("pharmacy/orders/<int:pk>/reject/", views.order_reject, name="reject_order"),
    path("pharmacy/orders/<int:pk>/cancel/", views.order_cancel, name="cancel_order"),
    path("pharmacy/orders/<int:pk>/settle/", views.order_settle, name="settle_order"),
    path("pharmacy/orders/<int:pk>/dispense/", views_dispensing.order_dispense, name="dispense_trace_codes"),
    path("pharmacy/orders/<int:pk>/dispatch/", views.order_dispatch, name="dispatch_order"),
    path("pharmacy/orders/<int:pk>/deliver/", views.order_deliver, name="confirm_delivery"),
    path("pharmacy/orders/<int:pk>/fail/", views.order_fail, name="record_delivery_failure"),
    path("pharmacy/deliveries/", views_courier.my_deliveries, name="my_deliveries"),
    path("pharmacy/prescriptions/<int:pk>/photo/", views.prescription_photo, name="prescription_photo"),
    path("pharmacy/reports/", views.reports, name="reports"),
    path("pharmacy/reconciliation.xlsx", views.reconciliation, name="reconciliation"),
    path("pharmacy/settlements/import/", views.settlement_import, name="import_settlements"),
]
