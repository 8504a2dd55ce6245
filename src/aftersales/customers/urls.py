"""UI URLs of the customers app."""

from django.urls import path

from aftersales.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("new/", views.customer_create, name="customer_create"),
    path("lookup/", views.customer_lookup, name="lookup"),
    path("regions/", views.region_options, name="region_options"),
    path("<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path("<int:customer_id>/reveal/", views.customer_reveal, name="customer_reveal"),
    path("<int:customer_id>/edit/", views.customer_edit, name="customer_edit"),
    path("<int:customer_id>/merge/", views.customer_merge, name="customer_merge"),
]
