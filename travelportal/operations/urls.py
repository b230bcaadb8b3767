from __future__ import annotations

from django.urls import path

from travelportal.operations import views

app_name = "operations"

urlpatterns = [
    path("health/", views.HealthView.as_view(), name="health"),
    path("health/live", views.liveness, name="liveness"),
    path("metrics", views.prometheus_metrics, name="metrics"),
]
