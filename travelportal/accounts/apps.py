from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "travelportal.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from travelportal.accounts import sessions
        from travelportal.companies.signals import people_changed

        user_logged_in.connect(sessions.on_user_logged_in, dispatch_uid="accounts.record_session")
        user_logged_out.connect(sessions.on_user_logged_out, dispatch_uid="accounts.forget_session")
        people_changed.connect(sessions.on_people_changed, dispatch_uid="accounts.end_sessions_of_inactive")
