"""UI URLs of the catalog app."""

from django.urls import path

from aftersales.catalog import views

app_name = "catalog"

urlpatterns = [
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit_detail"),
    path("units/<int:unit_id>/warranty/", views.unit_warranty, name="unit_warranty"),
    path("units/<int:unit_id>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:unit_id>/transfer/", views.unit_transfer, name="unit_transfer"),
    path("customers/<int:customer_id>/units/", views.customer_units, name="customer_units"),
    path("models/", views.model_list, name="model_list"),
    path("models/new/", views.model_create, name="model_create"),
    path("models/<int:model_id>/", views.model_detail, name="model_detail"),
    path("models/<int:model_id>/edit/", views.model_edit, name="model_edit"),
    path("policies/", views.policy_list, name="policy_list"),
    path("policies/new/", views.policy_create, name="policy_create"),
    path("policies/<int:policy_id>/edit/", views.policy_edit, name="policy_edit"),
    path("fees/", views.fee_list, name="fee_list"),
    path("fees/quote/", views.fee_quote, name="fee_quote"),
    path("fees/<int:schedule_id>/", views.fee_detail, name="fee_detail"),
]
