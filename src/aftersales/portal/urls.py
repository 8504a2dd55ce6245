"""URLs of the customer portal (mounted at /portal/) and the staff's QR codes and label sheets."""

from django.urls import path

from aftersales.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:request_id>/", views.request_detail, name="request_detail"),
    path("requests/<int:request_id>/comment/", views.request_comment, name="request_comment"),
    path("requests/<int:request_id>/close/", views.request_close, name="request_close"),
    path("requests/<int:request_id>/reopen/", views.request_reopen, name="request_reopen"),
    path("requests/<int:request_id>/rate/", views.request_rate, name="request_rate"),
    path("units/<int:unit_id>/qr.svg", views.unit_qr, name="unit_qr"),
    path("labels/", views.labels, name="labels"),
]
