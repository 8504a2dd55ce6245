"""UI URLs of imports and exports (mounted at /exchange/)."""

from django.urls import path

from aftersales.exchange import views

app_name = "exchange"

urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("new/", views.job_create, name="job_create"),
    path("jobs/<int:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/panel/", views.job_panel, name="job_panel"),
    path("jobs/<int:job_id>/confirm/", views.job_confirm, name="job_confirm"),
    path("jobs/<int:job_id>/errors.xlsx", views.job_errors, name="job_errors"),
    path("templates/<str:kind>.xlsx", views.template_download, name="template"),
    path("export/", views.export, name="export"),
]
