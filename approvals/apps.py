from __future__ import annotations

from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    label = "approvals"
    verbose_name = "Approvals and trips"

    def ready(self) -> None:
        from approvals import receivers
        from travelportal.companies.signals import group_deleted, people_changed

        people_changed.connect(receivers.people_changed, dispatch_uid="approvals.people_changed")
        group_deleted.connect(receivers.group_deleted, dispatch_uid="approvals.group_deleted")
