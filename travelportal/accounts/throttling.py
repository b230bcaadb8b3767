"""How django-axes identifies the person a failed sign-in was for, how many
password-reset emails an address or a client may ask for, and how many refused SAML
Responses a client may post."""

from __future__ import annotations

import hashlib
import logging

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


def get_axes_username(request, credentials=None) -> str | None:
    """The attempted userName, lower-cased: userNames compare case-insensitively, so
    failures typed as "ALICE@…" and "alice@…" count toward the same lockout."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        value = credentials.get(field) or credentials.get("username")
    else:
        value = request.POST.get(field) if request is not None else None
    if not isinstance(value, str):
        return None
    return value.strip().lower() or None


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The page django-axes shows instead of signing in while a lockout lasts (429)."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": minutes,
    }
    return render(request, "accounts/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


# --- Password-reset requests -----------------------------------------------------------

RESET_WINDOW_SECONDS = 3600


def password_reset_allowed(*, email: str, ip_address: str | None) -> bool:
    """Whether a password-reset email may go to ``email`` for a request from ``ip_address``.

    At most PASSWORD_RESET_LIMIT_PER_IP requests per client IP and
    PASSWORD_RESET_LIMIT_PER_ADDRESS per address (any case) within an hour of the first,
    counted in the cache whether or not the address belongs to anyone, so the limit itself
    tells nothing about which addresses exist. A request refused by its IP's limit does not
    count against the address, so one flooding client cannot use up someone's resets
    without also changing address. When the cache cannot be reached the request is allowed
    (sign-in lockout, in the database, is unaffected) and the failure is logged.
    """
    address_key = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    try:
        if ip_address and _count(f"password-reset:ip:{ip_address}") > settings.PASSWORD_RESET_LIMIT_PER_IP:
            logger.warning(
                "Password reset refused: more than %s requests from %s in an hour.",
                settings.PASSWORD_RESET_LIMIT_PER_IP,
                ip_address,
            )
            return False
        if _count(f"password-reset:address:{address_key}") > settings.PASSWORD_RESET_LIMIT_PER_ADDRESS:
            logger.warning(
                "Password reset refused: more than %s requests for one address in an hour (from %s).",
                settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
                ip_address,
            )
            return False
    except Exception:  # any cache backend's connection error
        logger.warning("Password-reset limits not applied: the cache is unreachable.", exc_info=True)
    return True


def _count(key: str, *, window: int = RESET_WINDOW_SECONDS) -> int:
    """Add one to ``key``'s count, which starts at the first request and lasts ``window``."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:
        # The window ended between add() and incr(): this request opens the next one.
        cache.add(key, 1, timeout=window)
        return 1


# --- SAML Responses posted to a reply URL ----------------------------------------------

SSO_REFUSAL_WINDOW_SECONDS = 60
# Refused Responses one client address may post to the reply URLs in a minute. Anyone can
# POST there (the identity provider's form is cross-site, so there is no CSRF token and
# no session), and each refusal is written to a company's sign-in activity.
SSO_REFUSALS_PER_MINUTE = 10


def sso_response_allowed(*, ip_address: str | None) -> bool:
    """Whether a Response posted from ``ip_address`` is looked at: not once the address has
    had SSO_REFUSALS_PER_MINUTE refusals within a minute of its first. A person signing in
    is refused rarely, so only flooding (forged or unsigned Responses, anonymous and
    cheap to send) reaches the limit; beyond it nothing is checked or recorded. When the
    cache cannot be reached the Response is looked at, and the failure is logged."""
    if not ip_address:
        return True
    try:
        refused = cache.get(f"sso-refused:ip:{ip_address}", 0)
    except Exception:  # any cache backend's connection error
        logger.warning("SSO response limits not applied: the cache is unreachable.", exc_info=True)
        return True
    if refused >= SSO_REFUSALS_PER_MINUTE:
        logger.warning(
            "SSO response not checked: %s refusals from %s within a minute.", SSO_REFUSALS_PER_MINUTE, ip_address
        )
        return False
    return True


def count_sso_refusal(*, ip_address: str | None) -> None:
    """Count one refused Response from ``ip_address`` toward ``sso_response_allowed``."""
    if not ip_address:
        return
    try:
        _count(f"sso-refused:ip:{ip_address}", window=SSO_REFUSAL_WINDOW_SECONDS)
    except Exception:  # any cache backend's connection error
        logger.warning("SSO refusal not counted: the cache is unreachable.", exc_info=True)
