"""Which sessions belong to whom, so a person's sessions can be ended at once."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UserSession(models.Model):
    """A session a person signed in with. Django's session table can't be searched by
    person (the user id is inside the encoded data), so sign-in records the key here."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="usersession_user_created_idx")]

    def __str__(self) -> str:
        return f"Session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"
