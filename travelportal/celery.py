"""The Celery application. Without REDIS_URL tasks run in-process (see settings)."""

from __future__ import annotations

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "travelportal.settings")

app = Celery("travelportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The worker binds the log context a task was enqueued with (the request id), and logs
# like the web process (travelportal.operations.logs) instead of Celery's own format.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _log_like_the_web_process(**kwargs) -> None:
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def _keep_worker_alive_when_redis_goes_away() -> None:
    """kombu 5.7's Redis transport, closing a channel after the broker went away (the
    worker reconnecting), restores the unacknowledged messages through a client built
    from the connection's URL info, which is already None by then; the AttributeError
    escapes Celery's ``ignore_errors`` and the worker exits instead of reconnecting. The
    messages stay in Redis's unacked set and are restored by kombu when they time out;
    approval changes wait in the outbox for the sweep meanwhile, so nothing is lost by
    skipping the restore on a connection that is gone."""
    from kombu.transport import redis as kombu_redis

    restore = kombu_redis.QoS.restore_unacked

    def restore_unacked(self, client=None):
        if client is None and getattr(self.channel.connection, "client", None) is None:
            return None
        return restore(self, client)

    kombu_redis.QoS.restore_unacked = restore_unacked


_keep_worker_alive_when_redis_goes_away()
