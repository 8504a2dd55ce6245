"""The short public address printed in every unit's QR code (mounted at /s/): /s/<token>/."""

from django.urls import path

from aftersales.portal import views

app_name = "scan"

urlpatterns = [
    path("<str:token>/", views.scan_report, name="report"),
]
