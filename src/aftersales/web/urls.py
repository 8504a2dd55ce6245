"""URLs of the UI shell."""

from django.urls import path

from aftersales.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("staff/", views.user_list, name="user_list"),
    path("staff/new/", views.user_create, name="user_create"),
    path("staff/<int:user_id>/", views.user_detail, name="user_detail"),
    path("staff/<int:user_id>/edit/", views.user_edit, name="user_edit"),
    path("staff/<int:user_id>/unlock/", views.user_unlock, name="user_unlock"),
    path("org-units/", views.orgunit_list, name="orgunit_list"),
    path("org-units/new/", views.orgunit_create, name="orgunit_create"),
    path("org-units/<int:unit_id>/", views.orgunit_detail, name="orgunit_detail"),
    path("audit/", views.audit_list, name="audit_list"),
    path("me/", views.profile, name="profile"),
    path("me/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
