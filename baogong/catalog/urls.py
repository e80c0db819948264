from django.urls import path

from baogong.catalog import views

app_name = "catalog"

urlpatterns = [
    path("catalog/items/", views.item_list, name="item_list"),
    path("catalog/items/new/", views.item_create, name="create_item"),
    path("catalog/items/import/", views.item_import, name="import_items"),
    path("catalog/items/template.xlsx", views.item_template, name="item_template"),
    path("catalog/items/<int:pk>/", views.item_detail, name="item_detail"),
    path("catalog/items/<int:pk>/edit/", views.item_edit, name="update_item"),
]
