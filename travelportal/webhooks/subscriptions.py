"""Managing a company's webhook subscriptions: what the API (and anything else) calls.

Rules:

* ``name`` is required, at most 200 characters, without control characters (it is sent
  in the ``Tk-webhook-name`` header).
* ``url`` passes ``travelportal.webhooks.addresses.check_url`` (https, public addresses,
  resolved now) and is unique within the company once normalised (scheme and host in
  lower case): a second subscription to the same URL is a ``DuplicateUrl`` conflict.
* ``events`` is a non-empty list of names from ``travelportal.webhooks.events.EVENTS``,
  kept in the order given without repeats.
* ``secret``: TravelPerk lets the integrator choose it (8 to 200 printable characters);
  when none is given the portal generates one (``whsec_`` and base64). Either way it is
  shown once, when it is set, and never again.
* Turning a subscription on again clears the failures that disabled it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from travelportal.companies.models import Company
from travelportal.webhooks.addresses import UnsafeUrl, check_url, normalise_url
from travelportal.webhooks.events import EVENTS
from travelportal.webhooks.models import Subscription
from travelportal.webhooks.signing import generate_secret

NAME_MAX = Subscription._meta.get_field("name").max_length
URL_MAX = Subscription._meta.get_field("url").max_length
SECRET_MIN = 8
SECRET_MAX = Subscription._meta.get_field("secret").max_length
# A value of ``update_subscription`` that is left as it is.
UNCHANGED = object()


class DuplicateUrl(Exception):
    """The company already has a subscription to this URL; nothing was written."""

    def __init__(self, url: str) -> None:
        super().__init__(f"This company already has a webhook subscription to {url}.")
        self.url = url


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the subscription a name."})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": f"At most {NAME_MAX} characters."})
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        raise ValidationError({"name": "The name can't contain control characters."})
    return name


def clean_url(url: str) -> str:
    url = normalise_url(url or "")
    if len(url) > URL_MAX:
        raise ValidationError({"url": f"At most {URL_MAX} characters."})
    try:
        check_url(url)
    except UnsafeUrl as exc:
        raise ValidationError({"url": str(exc)}) from None
    return url


def clean_events(events: Iterable[str]) -> list[str]:
    if isinstance(events, str) or not isinstance(events, Iterable):
        raise ValidationError({"events": "A list of event names."})
    names = list(dict.fromkeys(events))
    if not names:
        raise ValidationError({"events": "Choose at least one event."})
    unknown = [name for name in names if name not in EVENTS]
    if unknown:
        raise ValidationError(
            {"events": f"Unknown event(s): {', '.join(map(str, unknown))}. Known: {', '.join(EVENTS)}."}
        )
    return names


def clean_secret(secret: str) -> str:
    if not isinstance(secret, str) or not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise ValidationError({"secret": f"Between {SECRET_MIN} and {SECRET_MAX} characters."})
    if not secret.isprintable() or secret != secret.strip():
        raise ValidationError({"secret": "Printable characters only, without spaces around them."})
    return secret


def _refuse_duplicate(*, company_id: int, url: str, exclude: Subscription | None = None) -> None:
    others = Subscription.objects.for_company(company_id).filter(url=url)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if others.exists():
        raise DuplicateUrl(url)


def _save(subscription: Subscription, *, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            subscription.save(update_fields=update_fields)
    except IntegrityError as exc:
        # Two requests subscribing the same URL at once: the constraint caught the second.
        raise DuplicateUrl(subscription.url) from exc


def create_subscription(
    *, company: Company, name: str, url: str, events: Iterable[str], secret: str = "", enabled: bool = True
) -> Subscription:
    """Subscribe ``url`` to ``events`` for ``company``. Raises ``ValidationError`` (by
    field) or ``DuplicateUrl``, writing nothing. The returned subscription's ``secret``
    is the one to show, this once."""
    errors: dict[str, list[str]] = {}
    values = {}
    for field, cleaner, value in (
        ("name", clean_name, name),
        ("url", clean_url, url),
        ("events", clean_events, events),
        ("secret", clean_secret, secret),
    ):
        if field == "secret" and not secret:
            values[field] = generate_secret()
            continue
        try:
            values[field] = cleaner(value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    _refuse_duplicate(company_id=company.pk, url=values["url"])
    subscription = Subscription(company=company, enabled=enabled, **values)
    _save(subscription)
    return subscription


def update_subscription(
    *,
    subscription: Subscription,
    name: str = UNCHANGED,
    url: str = UNCHANGED,
    events: Iterable[str] = UNCHANGED,
    enabled: bool = UNCHANGED,
    secret: str = UNCHANGED,
) -> list[str]:
    """Change what is given (a PATCH); returns the fields that changed. Raises like
    ``create_subscription``, writing nothing."""
    cleaners = {"name": clean_name, "url": clean_url, "events": clean_events, "secret": clean_secret}
    given = {"name": name, "url": url, "events": events, "secret": secret, "enabled": enabled}
    errors: dict[str, list[str]] = {}
    changes: dict[str, object] = {}
    for field, value in given.items():
        if value is UNCHANGED:
            continue
        try:
            cleaned = cleaners[field](value) if field in cleaners else bool(value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        if getattr(subscription, field) != cleaned:
            changes[field] = cleaned
    if errors:
        raise ValidationError(errors)
    if "url" in changes:
        _refuse_duplicate(company_id=subscription.company_id, url=changes["url"], exclude=subscription)
    if changes.get("enabled") is True:
        changes.update(consecutive_failures=0, disabled_reason="")
    for field, value in changes.items():
        setattr(subscription, field, value)
    if changes:
        _save(subscription, update_fields=[*changes, "updated_at"])
    return [field for field in changes if field in given]


def delete_subscription(*, subscription: Subscription) -> None:
    """Delete the subscription with its delivery log; pending deliveries are not sent."""
    subscription.delete()
