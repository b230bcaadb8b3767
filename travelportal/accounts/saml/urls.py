"""The per-company service provider, mounted at /sso/saml/."""

from __future__ import annotations

from django.urls import path

from travelportal.accounts.saml import views

app_name = "saml"

urlpatterns = [
    path("<slug:slug>/metadata/", views.metadata, name="metadata"),
    path("<slug:slug>/login/", views.login_start, name="login"),
    path("<slug:slug>/acs/", views.acs, name="acs"),
]
