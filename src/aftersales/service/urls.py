"""UI URLs of service requests."""

from django.urls import path

from aftersales.service import views

app_name = "service"

urlpatterns = [
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("t/<str:token>/", views.track, name="track"),
]
