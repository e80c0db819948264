from django.urls import path

from baogong.inventory import views

app_name = "inventory"

urlpatterns = [
    path("inventory/", views.stock_list, name="stock_list"),
    path("inventory/expiry/", views.expiry_alerts, name="expiry_alerts"),
    path("inventory/valuation/", views.valuation, name="valuation"),
    path("inventory/items/<int:pk>/", views.item_card, name="item_card"),
    path("inventory/lots/<int:pk>/", views.lot_card, name="lot_card"),
    path("inventory/lots/<int:pk>/qc/", views.lot_set_qc, name="set_lot_qc_status"),
    path("inventory/lots/<int:pk>/quarantine/", views.lot_quarantine, name="quarantine_lot_everywhere"),
    path("inventory/moves/<int:pk>/reverse/", views.move_reverse, name="reverse_move"),
    path("inventory/receive/", views.receive, name="receive_stock"),
    path("inventory/issue/", views.issue, name="issue_stock"),
    path("inventory/transfer/", views.transfer, name="transfer_stock"),
    path("inventory/put-away/", views.put_away_list, name="put_away_list"),
    path("inventory/put-away/<int:pk>/", views.put_away, name="put_away"),
    path("inventory/adjust/<int:balance_pk>/", views.adjust, name="adjust_stock"),
    path("inventory/adjustments/", views.adjustment_list, name="adjustment_list"),
    path("inventory/adjustments/<int:pk>/decide/", views.adjustment_decide, name="decide_adjustment"),
    path("inventory/stocktakes/", views.stocktake_list, name="stocktake_list"),
    path("inventory/stocktakes/<int:pk>/", views.stocktake_detail, name="stocktake_detail"),
    path("inventory/stocktakes/<int:pk>/sheet.<str:fmt>", views.stocktake_sheet, name="stocktake_sheet"),
    path("inventory/stocktakes/<int:pk>/approve/", views.stocktake_approve, name="approve_stocktake"),
    path("inventory/locations/", views.location_list, name="location_list"),
    path("inventory/stocktakes/<int:pk>/found/", views.stocktake_found, name="count_found_stock"),
    path("inventory/transfers/", views.transfer_list, name="transfer_list"),
    path("inventory/transfers/<int:pk>/receive/", views.transfer_receive, name="receive_transfer"),
    path("inventory/trace/", views.trace_lookup, name="trace_lookup"),
    path("inventory/trace/receive/", views.trace_receive, name="trace_receive"),
    path("inventory/reservations/", views.reservation_list, name="reservation_list"),
    path("inventory/reservations/<int:pk>/release/", views.reservation_release, name="release_reservation"),
]
