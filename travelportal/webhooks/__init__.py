"""Webhooks: companies subscribe URLs to the portal's events, and each event is POSTed to
them signed, retried with backoff and logged (TravelPerk's webhooks, with the Standard
Webhooks headers beside TravelPerk's).

``emit_event`` (in ``travelportal.webhooks.outbox``) is the one way to send an event; the
event names are listed once, in ``travelportal.webhooks.events``, and where each comes
from is ``travelportal.webhooks.receivers``. Subscriptions are written by
``travelportal.webhooks.subscriptions`` (the REST API's ``/api/webhooks`` and Company
Settings call it) and delivered by ``travelportal.webhooks.delivery``.
"""
