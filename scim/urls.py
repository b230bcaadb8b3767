"""SCIM 2.0 routes under ``/scim/v2/``, named as django-scim2 reverses them."""

from __future__ import annotations

from django.urls import re_path

from scim import views

app_name = "scim"

urlpatterns = [
    re_path(r"^$", views.NotOfferedView.as_view(), name="root"),
    re_path(r"^Users/\.search$", views.UserSearchView.as_view(), name="users-search"),
    re_path(r"^Users(?:/(?P<uuid>[^/]+))?/?$", views.UsersView.as_view(), name="users"),
    re_path(r"^Groups/\.search$", views.GroupSearchView.as_view(), name="groups-search"),
    re_path(r"^Groups(?:/(?P<uuid>[^/]+))?/?$", views.GroupsView.as_view(), name="groups"),
    re_path(r"^ServiceProviderConfig/?$", views.ServiceProviderConfigView.as_view(), name="service-provider-config"),
    re_path(r"^ResourceTypes(?:/(?P<uuid>[^/]+))?/?$", views.ResourceTypesView.as_view(), name="resource-types"),
    re_path(r"^Schemas(?:/(?P<uuid>[^/]+))?/?$", views.SchemasView.as_view(), name="schemas"),
    re_path(r"^(?:Bulk|Me|\.search)$", views.NotOfferedView.as_view(), name="not-offered"),
    # Any other path answers a SCIM 404.
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"),
]
