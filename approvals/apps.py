from __future__ import annotations

from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    label = "approvals"
    verbose_name = "Approvals and trips"

    def ready(self) -> None:
        from approvals import receivers
        from travelportal.companies.signals import people_changed

        people_changed.connect(receivers.people_changed, dispatch_uid="approvals.people_changed")
