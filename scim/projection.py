"""``attributes`` and ``excludedAttributes`` (RFC 7644 §3.4.2.5), which django-scim2
ignores: applied to a rendered resource. ``id`` and ``schemas`` are always returned."""

from __future__ import annotations

from typing import Any

from scim.documents import split_urn
from scim.schemas import CORE_USER, ENTERPRISE_USER, TRAVELPERK_USER

ALWAYS = {"id", "schemas"}


def _parse(names: str | None) -> list[tuple[str | None, str, str | None]]:
    """``"userName,name.givenName,urn:...:User:costCenter"`` as (urn, attr, sub), lower-cased."""
    parsed = []
    for raw in (names or "").split(","):
        name = raw.strip()
        if not name:
            continue
        urn, name = split_urn(name)
        attr, _, sub = name.partition(".")
        parsed.append((None if urn == CORE_USER else urn, attr.lower(), sub.lower() or None))
    return parsed


def project(doc: dict[str, Any], *, attributes: str | None, excluded: str | None) -> dict[str, Any]:
    wanted, unwanted = _parse(attributes), _parse(excluded)
    if not wanted and not unwanted:
        return doc
    result: dict[str, Any] = {}
    for key, value in doc.items():
        urn = key if key in (ENTERPRISE_USER, TRAVELPERK_USER) else None
        if urn:
            if any(u == urn and a == "" for u, a, _ in unwanted):
                continue
            kept = {k: v for k, v in value.items() if _keep(urn, k, wanted, unwanted)}
            kept = {k: _keep_sub(urn, k, v, wanted, unwanted) for k, v in kept.items()}
            if kept:
                result[key] = kept
        elif key in ALWAYS or _keep(None, key, wanted, unwanted):
            result[key] = value if key in ALWAYS else _keep_sub(None, key, value, wanted, unwanted)
    if "schemas" in result:
        # An extension URN is listed only while its object is (RFC 7643 §3).
        result["schemas"] = [u for u in result["schemas"] if u not in (ENTERPRISE_USER, TRAVELPERK_USER) or u in result]
    return result


def _keep(urn: str | None, attr: str, wanted, unwanted) -> bool:
    attr = attr.lower()
    if wanted:
        return any(u == urn and (a == attr or (a == "" and urn)) for u, a, _ in wanted)
    return not any(u == urn and a == attr and s is None for u, a, s in unwanted)


def _keep_sub(urn: str | None, attr: str, value: Any, wanted, unwanted) -> Any:
    if isinstance(value, list):
        # A multi-valued complex attribute: the sub-attributes of each value
        # (``members.value``, ``emails.value``).
        return [_keep_sub(urn, attr, v, wanted, unwanted) for v in value]
    if not isinstance(value, dict):
        return value
    attr = attr.lower()
    subs_wanted = {s for u, a, s in wanted if u == urn and a == attr and s}
    if wanted and subs_wanted and not any(u == urn and a == attr and s is None for u, a, s in wanted):
        value = {k: v for k, v in value.items() if k.lower() in subs_wanted}
    subs_unwanted = {s for u, a, s in unwanted if u == urn and a == attr and s}
    return {k: v for k, v in value.items() if k.lower() not in subs_unwanted}
