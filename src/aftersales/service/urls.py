"""UI URLs of service requests: the workbench, the request page and its actions, intake, incomplete records."""

from django.urls import path

from aftersales.service import views

app_name = "service"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("bulk/", views.bulk, name="bulk"),
    path("new/", views.intake, name="intake"),
    path("sla/", views.sla_report, name="sla_report"),
    path("new/customers/", views.intake_customers, name="intake_customers"),
    path("new/customer/", views.intake_customer, name="intake_customer"),
    path("new/customer/create/", views.intake_customer_create, name="intake_customer_create"),
    path("new/unit/", views.intake_unit, name="intake_unit"),
    path("incomplete/", views.incomplete, name="incomplete"),
    path("<int:request_id>/", views.request_detail, name="request_detail"),
    path("<int:request_id>/action/", views.request_action, name="request_action"),
    path("<int:request_id>/assign/", views.request_assign, name="request_assign"),
    path("<int:request_id>/escalate/", views.request_escalate, name="request_escalate"),
    path("<int:request_id>/edit/", views.request_edit, name="request_edit"),
    path("<int:request_id>/comment/", views.request_comment, name="request_comment"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("t/<str:token>/", views.track, name="track"),
]
