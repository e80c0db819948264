from django.urls import path

import baogong.property.views as views

app_name = "property"

urlpatterns = [
    path("property/", views.application_list, name="application_list"),
    path("property/applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("property/applications/<int:pk>/documents/", views.upload_document, name="upload_document"),
    path("property/applications/<int:pk>/<str:step>/", views.application_step, name="application_step"),
    path("property/applications/<int:pk>/letter.pdf", views.decision_letter, name="decision_letter"),
    path("property/batch/", views.batch_review, name="batch_review"),
    path("property/top-up/", views.top_up_relief, name="top_up_relief"),
    path("property/progress/", views.progress, name="progress"),
    path("property/leases/", views.lease_list, name="lease_list"),
    path("property/leases/<int:pk>/", views.lease_detail, name="lease_detail"),
    path("property/leases/<int:pk>/apply/", views.submit_application, name="submit_application"),
    path("property/leases/<int:pk>/end/", views.end_lease, name="end_lease"),
    path("property/leases/<int:pk>/tenant-documents/", views.upload_tenant_documents, name="upload_tenant_documents"),
    path("property/leases/<int:pk>/invoices/", views.issue_invoices, name="issue_invoices"),
    path("property/leases/<int:pk>/payment/", views.record_payment, name="record_payment"),
    path("property/arrears/", views.arrears, name="arrears"),
    path("property/tenants/", views.tenant_list, name="tenant_list"),
    path("property/tenants/<int:pk>/reveal/", views.reveal_tenant_id, name="reveal_tenant_id"),
    path("property/import/", views.import_leases, name="import_leases"),
    path("property/import/template.xlsx", views.import_template, name="import_template"),
    path("property/portal/", views.portal, name="portal"),
]
