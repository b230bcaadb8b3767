"""User documents in canonical form, and SCIM PATCH (RFC 7644 §3.5.2) applied to them.

A *canonical document* is a User resource with every attribute name spelled as in the
schema, extension attributes nested under their URN, and dotted or URN-prefixed keys
expanded. Clients send names in any case (``"UserName"``, ``name.FamilyName``) and flat
keys (``"emergencyContact.name"``); canonicalising once means the rest of the code
compares plain dictionaries.

django-scim2's PATCH refuses value-filter paths, extension paths, path-less ``add`` and
string booleans; Entra sends all of them. Here every operation is applied to a copy of
the person's current document, and the result is validated and written in one step, so
all operations of one request apply together or not at all.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from scim.errors import InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget
from scim.mapping import (
    CATALOGUE,
    CORE_USER,
    EXTENSION_URNS,
    MULTI_VALUED_COMPLEX,
    NOT_REMOVABLE,
    READ_ONLY,
    STORED_TYPE,
    USER_URNS,
)

# Ignored wherever they appear in a request: the portal assigns them (RFC 7643 §3.1).
IGNORED_TOP_LEVEL = {"schemas", "id", "meta", "groups", "roles", "password", "entitlements", "x509certificates"}
MULTI_COMPLEX = MULTI_VALUED_COMPLEX
_URNS = USER_URNS
_ATTR = r"[A-Za-z$][\w$-]*"
_PATH = re.compile(rf"^(?P<attr>{_ATTR})(?:\[(?P<filter>[^\]]*)\])?(?:\.(?P<sub>{_ATTR}))?$")
_VALUE_FILTER = re.compile(rf'^\s*(?P<attr>{_ATTR})\s+eq\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


def split_urn(key: str) -> tuple[str, str]:
    """(schema URN, rest) for a key that may start with a schema URN."""
    lowered = key.lower()
    for urn in _URNS:
        if lowered == urn.lower():
            return urn, ""
        if lowered.startswith(urn.lower() + ":"):
            return urn, key[len(urn) + 1 :]
    return CORE_USER, key


def _schema_for(urn: str, name: str) -> str:
    """RFC 7644 §3.10: an unqualified name that is not a core attribute may name an
    extension attribute (Entra's older ``"path": "manager"``)."""
    if urn != CORE_USER or name.lower() in CATALOGUE[CORE_USER]:
        return urn
    return next((ext for ext in EXTENSION_URNS if name.lower() in CATALOGUE[ext]), urn)


def _lookup(urn: str, name: str, *, strict: bool) -> tuple[str, dict | None] | None:
    found = CATALOGUE[urn].get(name.lower())
    if found is None and strict:
        raise InvalidPath(f"{name!r} is not an attribute the portal knows.")
    return found


def canonical(body: dict[str, Any]) -> dict[str, Any]:
    """The canonical form of a POST or PUT body; unknown and read-only attributes are
    ignored (RFC 7644 §3.3: the service provider ignores what it does not support)."""
    if not isinstance(body, dict):
        raise InvalidSyntax("The request body must be a JSON object.")
    doc: dict[str, Any] = {}
    for key, value in body.items():
        if not isinstance(key, str) or key.lower() in IGNORED_TOP_LEVEL:
            continue
        urn, rest = split_urn(key)
        if not rest:
            if urn != CORE_USER and value is not None:
                if not isinstance(value, dict):
                    raise InvalidValue(f"{urn} must hold an object.")
                for sub_key, sub_value in value.items():
                    _set(doc, urn, str(sub_key), sub_value, strict=False)
            continue
        _set(doc, urn, rest, value, strict=False)
    return doc


def _container(doc: dict[str, Any], urn: str) -> dict[str, Any]:
    return doc if urn == CORE_USER else doc.setdefault(urn, {})


def _set(doc: dict[str, Any], urn: str, dotted: str, value: Any, *, strict: bool) -> None:
    head, _, tail = dotted.partition(".")
    urn = _schema_for(urn, head)
    found = _lookup(urn, head, strict=strict)
    if found is None:
        return
    name, subs = found
    target = _container(doc, urn)
    if tail:
        if subs is None:
            if strict:
                raise InvalidPath(f"{name} has no sub-attribute {tail!r}.")
            return
        sub = _lookup_sub(name, subs, tail, strict=strict)
        if sub is None:
            return
        if name in MULTI_COMPLEX:
            # "emails.value" outside a value filter: the stored (work) element.
            element = work_element(target, name, create=True)
            element[sub] = value
        else:
            current = target.get(name)
            if not isinstance(current, dict):
                current = target[name] = {}
            current[sub] = value
        return
    target[name] = _shape(name, subs, value)
    if target[name] is None:
        target.pop(name)


def _lookup_sub(name: str, subs: dict, key: str, *, strict: bool) -> str | None:
    found = subs.get(key.lower())
    if found is None:
        if strict:
            raise InvalidPath(f"{name} has no sub-attribute {key!r}.")
        return None
    return found[0]


def _shape(name: str, subs: dict | None, value: Any) -> Any:
    """Canonical value of an attribute: sub-attribute keys canonicalised, ``manager`` given
    as a plain string or a one-element list made ``{"value": ...}``, multi-valued
    attributes given as plain strings or one object made lists of objects."""
    if value is None or value == "":
        return None
    if subs is None:
        return value
    if name in MULTI_COMPLEX:
        if not isinstance(value, list):
            # RFC 7643 §2.4: a multi-valued attribute is a JSON array, also of one value.
            raise InvalidValue(f"{name} is multi-valued: give a list, not {_json_type(value)}.")
        items = value
        shaped = []
        for item in items:
            if isinstance(item, dict):
                shaped.append(_shape_object(name, subs, item))
            elif item not in (None, ""):
                shaped.append({"value": item})
        return shaped or None
    if name == "manager":
        if isinstance(value, list):
            # Entra's older form: a list holding the one manager.
            if len(value) > 1:
                raise InvalidValue("manager is single-valued: give one manager, not a list of several.")
            value = value[0] if value else None
        if isinstance(value, str):
            return {"value": value} if value else None
        if value is None:
            return None
    if not isinstance(value, dict):
        raise InvalidValue(f"{name} must be an object with sub-attributes.")
    shaped = _shape_object(name, subs, value)
    if name == "manager" and not shaped.get("value"):
        return None
    return shaped


def _json_type(value: Any) -> str:
    return {dict: "an object", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), "another type"
    )


def _shape_object(name: str, subs: dict, value: dict) -> dict:
    shaped = {}
    for key, sub_value in value.items():
        sub = _lookup_sub(name, subs, str(key), strict=False) if isinstance(key, str) else None
        if sub is not None and sub_value is not None:
            shaped[sub] = sub_value
    return shaped


def work_element(target: dict, name: str, *, create: bool) -> dict:
    """The element of a multi-valued attribute the portal stores: typed work, else the
    first; with ``create``, a new work element is appended when there is none."""
    elements = target.get(name)
    if not isinstance(elements, list):
        elements = []
    for element in elements:
        if str(element.get("type", "")).lower() == "work":
            return element
    if elements:
        return elements[0]
    element = {"type": STORED_TYPE[name]} if name in STORED_TYPE else {}
    if create:
        target[name] = [*elements, element]
    return element


# --- PATCH ---------------------------------------------------------------------------


def patch_operations(body: Any) -> Iterator[tuple[str, str, Any]]:
    """The operations of a PatchOp body (RFC 7644 §3.5.2) as (op lower-cased, path
    stripped or "", value), each checked for its shape; keys in any case."""
    if not isinstance(body, dict):
        raise InvalidSyntax("The request body must be a JSON object.")
    operations = next((v for k, v in body.items() if isinstance(k, str) and k.lower() == "operations"), None)
    if not isinstance(operations, list) or not operations:
        raise InvalidSyntax("A PATCH needs a non-empty Operations array.")
    for operation in operations:
        if not isinstance(operation, dict):
            raise InvalidSyntax("Each operation must be an object.")
        fields = {str(k).lower(): v for k, v in operation.items()}
        op = fields.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise InvalidSyntax(f"Unknown PATCH op {op!r}; use add, replace or remove.")
        if op.lower() != "remove" and "value" not in fields:
            # RFC 7644 §3.5.2.1/3: add and replace MUST carry a value; an explicit null or
            # "" is Entra's way of clearing, a missing one is a malformed request.
            raise InvalidSyntax(f'A {op} operation needs a value (null or "" clears).')
        path = fields.get("path")
        if path is not None and not isinstance(path, str):
            raise InvalidPath("path must be a string.")
        yield op.lower(), path.strip() if path else "", fields.get("value")


def apply_patch(document: dict[str, Any], body: Any) -> dict[str, Any]:
    """Apply a PatchOp body to a copy of ``document`` and return the copy."""
    doc = copy.deepcopy(document)
    for op, path, value in patch_operations(body):
        _apply_operation(doc, op, path, value)
    return doc


def _apply_operation(doc: dict, op: str, path: str, value: Any) -> None:
    if not path:
        if op == "remove":
            raise NoTarget("A remove operation needs a path.")
        if not isinstance(value, dict):
            raise InvalidValue("An operation without a path needs an object of attribute paths as value.")
        for key, sub_value in value.items():
            if not isinstance(key, str) or key.lower() in IGNORED_TOP_LEVEL:
                continue
            urn, rest = split_urn(key)
            if not rest:
                if urn == CORE_USER or not isinstance(sub_value, dict):
                    raise InvalidValue(f"{key} must hold an object.")
                for ext_key, ext_value in sub_value.items():
                    if str(ext_key).lower() not in IGNORED_TOP_LEVEL:
                        _apply_path(doc, op, urn, str(ext_key), ext_value)
            else:
                _apply_path(doc, op, urn, rest, sub_value)
        return
    urn, rest = split_urn(path)
    if not rest:
        if urn == CORE_USER:
            raise InvalidPath(f"{path!r} is not an attribute path.")
        if op == "remove":
            doc.pop(urn, None)
            return
        if not isinstance(value, dict):
            raise InvalidValue(f"{urn} must hold an object.")
        for ext_key, ext_value in value.items():
            if str(ext_key).lower() not in IGNORED_TOP_LEVEL:
                _apply_path(doc, op, urn, str(ext_key), ext_value)
        return
    _apply_path(doc, op, urn, rest, value)


def _apply_path(doc: dict, op: str, urn: str, rest: str, value: Any) -> None:
    match = _PATH.match(rest)
    if match is None:
        raise InvalidPath(f"{rest!r} is not a valid attribute path.")
    if urn == CORE_USER and match["attr"].lower() in ("id", "meta", "groups", "schemas"):
        raise Mutability(f"{match['attr']} is read-only.")
    urn = _schema_for(urn, match["attr"])
    name, subs = _lookup(urn, match["attr"], strict=True)
    sub = _lookup_sub(name, subs, match["sub"], strict=True) if match["sub"] and subs is not None else None
    if match["sub"] and subs is None:
        raise InvalidPath(f"{name} has no sub-attributes.")
    if (urn, name, None) in READ_ONLY or (urn, name, sub) in READ_ONLY:
        raise Mutability(f"{name}{'.' + sub if sub else ''} is read-only.")
    clearing = op == "remove" or value is None or value == "" or value == []
    if clearing and sub is None and (urn, name) in NOT_REMOVABLE:
        # RFC 7644 §3.5.2.2: a person always has a userName and is active or not; there
        # is no unassigned state to fall back to, so the removal is refused.
        raise Mutability(f"{name} can't be removed; replace it with a value instead.")
    target = _container(doc, urn)
    if match["filter"] is not None:
        _apply_filtered(target, op, name, subs, match["filter"], sub, value, clearing)
    elif sub is not None:
        if name in MULTI_COMPLEX:
            element = work_element(target, name, create=not clearing)
            if clearing:
                element.pop(sub, None)
            else:
                element[sub] = value
        else:
            current = target.get(name) if isinstance(target.get(name), dict) else {}
            if clearing:
                current.pop(sub, None)
            else:
                current[sub] = value
            if current:
                target[name] = current
            else:
                target.pop(name, None)
    elif clearing:
        if op == "remove" and value not in (None, "", []) and name in MULTI_COMPLEX:
            _remove_listed(target, name, value)
        else:
            target.pop(name, None)
    else:
        shaped = _shape(name, subs, value)
        if name in MULTI_COMPLEX and op == "add" and isinstance(target.get(name), list) and isinstance(shaped, list):
            # Elements that are not objects are kept as sent, for the parser to refuse
            # with a SCIM error (RFC 7644 §3.12 invalidValue), never a server error here.
            if name == "invoiceProfiles":
                known = {str(e.get("value")) for e in target[name] if isinstance(e, dict)}
                target[name] = target[name] + [
                    e for e in shaped if not isinstance(e, dict) or str(e.get("value")) not in known
                ]
            else:
                # One value per type is stored (the work one), so an added element
                # replaces the element of its type instead of queueing behind it.
                added = {str(e.get("type", "")).lower() for e in shaped if isinstance(e, dict)}
                kept = [
                    e for e in target[name] if not isinstance(e, dict) or str(e.get("type", "")).lower() not in added
                ]
                target[name] = shaped + kept
        elif isinstance(shaped, dict) and isinstance(target.get(name), dict) and name != "manager":
            # RFC 7644 §3.5.2.1/3: sub-attributes not given are left unchanged.
            target[name] = {**target[name], **shaped}
        else:
            target[name] = shaped
    if urn != CORE_USER and not target:
        doc.pop(urn, None)


def _remove_listed(target: dict, name: str, value: Any) -> None:
    listed = value if isinstance(value, list) else [value]
    drop = {str(v.get("value") if isinstance(v, dict) else v) for v in listed}
    kept = [e for e in target.get(name, []) if str(e.get("value")) not in drop]
    if kept:
        target[name] = kept
    else:
        target.pop(name, None)


def _apply_filtered(
    target: dict, op: str, name: str, subs: dict | None, expression: str, sub: str | None, value: Any, clearing: bool
) -> None:
    match = _VALUE_FILTER.match(expression)
    if match is None or subs is None:
        raise InvalidPath(f'Unsupported value filter [{expression}]: use [<sub-attribute> eq "<value>"].')
    key = _lookup_sub(name, subs, match["attr"], strict=True)
    wanted = match["value"].replace('\\"', '"')
    if name not in MULTI_COMPLEX:
        # manager[value eq "ID"]: a single complex attribute selected by its value.
        current = target.get(name)
        selected = isinstance(current, dict) and str(current.get(key, "")).lower() == wanted.lower()
        if clearing:
            if selected:
                target.pop(name, None)
            elif op == "remove":
                raise NoTarget(f"No {name} matches [{expression}].")
            return
        shaped = {key: wanted, **({sub: value} if sub else _shape(name, subs, value) or {})}
        target[name] = {**(current if selected else {}), **shaped}
        return
    elements = target.get(name) if isinstance(target.get(name), list) else []
    matches = [e for e in elements if str(e.get(key, "")).lower() == wanted.lower()]
    if clearing:
        if not matches and op == "remove":
            raise NoTarget(f"No {name} element matches [{expression}].")
        if sub:
            for element in matches:
                element.pop(sub, None)
            elements = [e for e in elements if e not in matches or set(e) - {key}]
        else:
            elements = [e for e in elements if e not in matches]
    else:
        if not matches:
            # RFC 7644 §3.5.2.1 and Entra: a value-filter path whose element is missing
            # creates it.
            matches = [{key: wanted}]
            elements = [*elements, *matches]
        for element in matches:
            if sub:
                element[sub] = value
            elif isinstance(value, dict):
                element.update(_shape_object(name, subs, value))
            else:
                raise InvalidValue(f"{name}[{expression}] needs an object or a sub-attribute path.")
    if elements:
        target[name] = elements
    else:
        target.pop(name, None)
