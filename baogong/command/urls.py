from django.urls import path

from baogong.command import views

app_name = "command"

urlpatterns = [
    path("command/posts/", views.post_list, name="post_list"),
    path("command/posts/new/", views.post_create, name="record_post"),
    path("command/inspections/", views.inspection_list, name="inspection_list"),
    path("command/inspections/new/", views.inspection_create, name="record_inspection"),
    path("command/inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("command/rectifications/<int:pk>/reinspect/", views.reinspect, name="record_reinspection"),
    path("command/compliance/", views.compliance, name="compliance"),
    path("command/recipients/", views.recipient_list, name="recipient_list"),
    path("command/incidents/<int:pk>/playbook/<slug:code>/", views.playbook_step, name="complete_playbook_step"),
    path("command/recipients/<int:pk>/remove/", views.recipient_remove, name="remove_report_recipient"),
    path("command/drills/", views.drill_list, name="drill_list"),
    path("command/drills/new/", views.drill_create, name="start_drill"),
    path("command/drills/<int:pk>/", views.drill_detail, name="drill_detail"),
    path("command/drills/<int:pk>/again/", views.drill_rerun, name="rerun_drill"),
    path("command/drills/<int:pk>/export.<str:fmt>", views.drill_export, name="drill_export"),
]
