from __future__ import annotations

from django.urls import path

from approvals import views

app_name = "approvals"

urlpatterns = [
    path("trips/", views.trip_list, name="trip_list"),
    path("trips/new/", views.trip_new, name="trip_new"),
    path("trips/<uuid:trip_id>/", views.trip_detail, name="trip_detail"),
    path("trips/<uuid:trip_id>/approve/", views.trip_approve, name="trip_approve"),
    path("trips/<uuid:trip_id>/decline/", views.trip_decline, name="trip_decline"),
    path("approvals/queue/", views.approval_queue, name="queue"),
]
