"""The Celery application. Without REDIS_URL tasks run in-process (see settings)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "travelportal.settings")

app = Celery("travelportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
