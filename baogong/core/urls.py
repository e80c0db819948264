from django.urls import path

from baogong.core import uploads, views

app_name = "core"

urlpatterns = [
    path("audit/", views.audit_list, name="audit_list"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/demo/", views.job_demo, name="job_demo"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job_detail"),
    path("media/<path:name>", uploads.media_file, name="media"),
]
