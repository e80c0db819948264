from django.urls import path

from baogong.core import bulk, fieldviews, lookups, uploads, views

app_name = "core"

urlpatterns = [
    path("audit/", views.audit_list, name="audit_list"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("notifications/deliveries/", views.delivery_list, name="delivery_list"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/demo/", views.job_demo, name="job_demo"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job_detail"),
    path("media/<path:name>", uploads.media_file, name="media"),
    path("lookup/", lookups.lookup_view, name="lookup"),
    path("bulk/", bulk.bulk_view, name="bulk"),
    path("sw.js", fieldviews.service_worker, name="service_worker"),
    path("manifest.webmanifest", fieldviews.manifest, name="manifest"),
    path("field/offline/", fieldviews.offline_page, name="offline_page"),
    path("field/conflicts/", fieldviews.conflict_list, name="conflict_list"),
    path("field/conflicts/<int:pk>/resolve/", fieldviews.conflict_resolve, name="conflict_resolve"),
]
