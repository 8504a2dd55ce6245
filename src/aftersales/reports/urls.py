"""UI URLs of reports."""

from django.urls import path

from aftersales.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
