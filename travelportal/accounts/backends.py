"""Sign-in by userName, compared case-insensitively, for live and active people only."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from travelportal.companies.models import User


class UserNameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        user = User.objects.with_username(username).first()
        if user is None:
            # Run the hasher anyway so timing does not reveal which userNames exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and user.deleted_at is None

    def get_user(self, user_id):
        user = User.objects.live().filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
