from django.urls import path

from baogong.finance import views

app_name = "finance"

urlpatterns = [
    path("finance/missions/", views.mission_list, name="mission_list"),
    path("finance/missions/new/", views.mission_create, name="mission_create"),
    path("finance/missions/<int:pk>/", views.mission_detail, name="mission_detail"),
    path("finance/missions/<int:pk>/statement.xlsx", views.mission_statement_xlsx, name="mission_statement_xlsx"),
    path("finance/missions/<int:pk>/statement.pdf", views.mission_statement_pdf, name="mission_statement_pdf"),
    path("finance/missions/<int:pk>/costs/new/", views.cost_add, name="add_cost_line"),
    path("finance/missions/<int:pk>/goods-sync/", views.goods_sync, name="sync_goods_costs"),
    path("finance/missions/<int:pk>/claims/new/", views.claim_create, name="create_claim"),
    path("finance/costs/", views.cost_list, name="cost_list"),
    path("finance/costs/<int:pk>/approve/", views.cost_approve, name="approve_cost_line"),
    path("finance/costs/<int:pk>/reject/", views.cost_reject, name="reject_cost_line"),
    path("finance/claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("finance/claims/<int:pk>/submit/", views.claim_submit, name="submit_claim"),
    path("finance/claims/<int:pk>/payment/", views.claim_payment, name="record_claim_payment"),
    path("finance/claims/<int:pk>/reject/", views.claim_reject, name="reject_claim"),
]
