"""UI URLs of the sales app."""

from django.urls import path

from aftersales.sales import views

app_name = "sales"

urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/deliver/", views.order_deliver, name="order_deliver"),
    path("orders/<int:order_id>/payment/", views.order_payment, name="order_payment"),
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/new/", views.contract_create, name="contract_create"),
    path("contracts/units/", views.contract_unit_options, name="contract_unit_options"),
    path("contracts/<int:contract_id>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:contract_id>/transition/", views.contract_transition, name="contract_transition"),
    path("customers/<int:customer_id>/panel/", views.customer_sales, name="customer_sales"),
    path("units/<int:unit_id>/contracts/", views.unit_contracts, name="unit_contracts"),
]
