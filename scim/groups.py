"""The Group adapter: a company's group as a SCIM Group (RFC 7643 §4.2), and group
requests (RFC 7644 §3.3, §3.5) as the groups domain's changes.

Built on django-scim2's ``SCIMGroup``, whose PATCH looks members up by integer primary
key (and answers 500 for the portal's UUIDs) and whose member list reads one person
per member. Here a PATCH becomes one ``GroupChange`` (members added, removed or
replaced as sets of ids), which the domain applies in a fixed number of queries, all
operations of one request together or none; Entra's forms are all accepted: members
added several at once with ``$ref`` null, removed by a value list, by
``members[value eq "ID"]`` or all with a bare remove, replaced with a list, and the
group renamed with or without a path.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from django.urls import reverse
from django_scim.adapters import SCIMGroup

from scim.adapters import base_location
from scim.documents import patch_operations
from scim.errors import InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget, Uniqueness
from scim.mapping import CORE_GROUP
from travelportal.companies import groups
from travelportal.companies.models import Group

# Ignored in a request: the portal assigns them (RFC 7643 §3.1); Entra adds its own
# Microsoft schema URN to ``schemas``.
IGNORED = {"schemas", "id", "meta"}
_MEMBER_FILTER = re.compile(r'^members\[\s*value\s+eq\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*\]$', re.IGNORECASE)


class ScimGroup(SCIMGroup):
    """SCIM adapter for ``companies.Group``; ``request.scim.company`` is the tenant."""

    id_field = "id"
    url_name = "scim:groups"
    resource_type = "Group"

    def __init__(self, obj: Group, request=None, *, with_members: bool = True) -> None:
        super().__init__(obj, request=request)
        self.with_members = with_members

    @property
    def id(self) -> str:
        return str(self.obj.pk)

    @property
    def location(self) -> str:
        return urljoin(base_location(self.request), reverse("scim:groups", kwargs={"uuid": self.id}).lstrip("/"))

    @property
    def members(self) -> list[dict[str, str]]:
        """Every member, from the memberships prefetched with their people (one query
        for a whole page of groups)."""
        # One URL prefix for all members: a group can have 10,000 of them.
        users = urljoin(base_location(self.request), reverse("scim:users", kwargs={"uuid": "0"}).lstrip("/")[:-1])
        members = []
        for m in self.obj.memberships.all():
            value = str(m.user_id)
            members.append(
                {"value": value, "$ref": users + value, "display": m.user.display_name or str(m.user), "type": "User"}
            )
        return members

    def to_dict(self) -> dict[str, Any]:
        """The group as RFC 7643 §4.2 describes it; ``members`` left out (and not read)
        when the request excluded them."""
        doc: dict[str, Any] = {"schemas": [CORE_GROUP], "id": self.id}
        if self.obj.external_id:
            doc["externalId"] = self.obj.external_id
        doc["displayName"] = self.obj.display_name
        if self.with_members:
            doc["members"] = self.members
        doc["meta"] = {
            "resourceType": self.resource_type,
            "created": self.obj.created_at.isoformat(),
            "lastModified": self.obj.updated_at.isoformat(),
            "location": self.location,
            "version": f'W/"{int(self.obj.updated_at.timestamp() * 1_000_000):x}"',
        }
        return doc

    @classmethod
    def resource_type_dict(cls, request=None) -> dict[str, Any]:
        """RFC 7643 §6, with ``endpoint`` relative to the base URL."""
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Group",
            "schema": CORE_GROUP,
            "meta": {
                "location": urljoin(
                    base_location(request), reverse("scim:resource-types", kwargs={"uuid": "Group"}).lstrip("/")
                ),
                "resourceType": "ResourceType",
            },
        }


class domain_errors:
    """Maps ``GroupError`` to SCIM errors (400 invalidValue, 409 uniqueness)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if isinstance(exc, groups.GroupError):
            if exc.code == "conflict":
                raise Uniqueness(exc.detail) from exc
            raise InvalidValue(exc.detail) from exc
        return False


def unqualified(names: str | None) -> str | None:
    """``attributes`` or ``excludedAttributes`` with the core Group URN taken off each
    name: RFC 7644 §3.10 lets a client name ``displayName`` as
    ``urn:ietf:params:scim:schemas:core:2.0:Group:displayName``."""
    if not names:
        return names
    prefix = CORE_GROUP.lower() + ":"
    parts = (n.strip() for n in names.split(","))
    return ",".join(n[len(prefix) :] if n.lower().startswith(prefix) else n for n in parts)


def _fields(obj: dict) -> dict[str, Any]:
    """Attribute names are case-insensitive (RFC 7643 §2.1)."""
    return {str(k).lower(): v for k, v in obj.items() if str(k).lower() not in IGNORED}


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidValue(f"{name} must be a string.")
    return value


def member_ids(value: Any) -> list[str]:
    """The ids in a ``members`` value: a list of ``{"value": ID}`` (``$ref`` may be null,
    or the only thing given), one such object, or plain id strings."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        if isinstance(item, str):
            ids.append(item)
            continue
        if not isinstance(item, dict):
            raise InvalidValue("members must be a list of objects with a value.")
        fields = {str(k).lower(): v for k, v in item.items()}
        member = fields.get("value")
        ref = fields.get("$ref")
        if member in (None, "") and isinstance(ref, str) and ref:
            member = ref.rstrip("/").rsplit("/", 1)[-1]
        if not isinstance(member, str) or not member:
            raise InvalidValue("Each member needs a value: the id of a user of this company.")
        ids.append(member)
    return ids


def group_data(body: Any) -> groups.GroupData:
    """A POST or PUT body as ``GroupData``; unknown attributes are ignored (RFC 7644 §3.3)."""
    if not isinstance(body, dict):
        raise InvalidSyntax("The request body must be a JSON object.")
    fields = _fields(body)
    name = fields.get("displayname")
    if not isinstance(name, str) or not name.strip():
        raise InvalidValue("displayName is required and must be a string.")
    return groups.GroupData(
        display_name=name,
        external_id=_text(fields.get("externalid"), "externalId"),
        members=member_ids(fields.get("members")),
    )


class _Plan:
    """The operations of one PATCH, applied in order to sets of ids."""

    def __init__(self) -> None:
        self.change = groups.GroupChange()

    def add(self, ids: list[str]) -> None:
        c = self.change
        if c.replace_members is not None:
            c.replace_members = [*c.replace_members, *(i for i in ids if i not in c.replace_members)]
        else:
            c.add = [*c.add, *(i for i in ids if i not in c.add)]
            c.remove = [i for i in c.remove if i not in ids]

    def remove(self, ids: list[str]) -> None:
        c = self.change
        if c.replace_members is not None:
            c.replace_members = [i for i in c.replace_members if i not in ids]
        else:
            c.remove = [*c.remove, *(i for i in ids if i not in c.remove)]
            c.add = [i for i in c.add if i not in ids]

    def replace(self, ids: list[str]) -> None:
        self.change.replace_members, self.change.add, self.change.remove = list(dict.fromkeys(ids)), [], []


def patch_change(body: Any) -> groups.GroupChange:
    """A PatchOp body (RFC 7644 §3.5.2) as one ``GroupChange``."""
    plan = _Plan()
    for op, path, value in patch_operations(body):
        _apply(plan, op, path, value)
    return plan.change


def _apply(plan: _Plan, op: str, path: str, value: Any) -> None:
    if not path:
        if op == "remove":
            raise NoTarget("A remove operation needs a path.")
        if not isinstance(value, dict):
            raise InvalidValue("An operation without a path needs an object of attributes as value.")
        for key, sub_value in _fields(value).items():
            _apply(plan, op, key, sub_value)
        return
    if path.lower().startswith(CORE_GROUP.lower() + ":"):
        path = path[len(CORE_GROUP) + 1 :]
    filtered = _MEMBER_FILTER.match(path)
    if filtered:
        if op != "remove":
            raise InvalidPath('members[value eq "ID"] can only be removed; add members with the path members.')
        plan.remove([filtered["value"].replace('\\"', '"')])
        return
    name = path.lower()
    if name == "members":
        if op == "add":
            plan.add(member_ids(value))
        elif op == "replace":
            plan.replace(member_ids(value))
        elif value in (None, "", []):
            # A bare remove of members empties the group (RFC 7644 §3.5.2.2).
            plan.replace([])
        else:
            plan.remove(member_ids(value))
        return
    if name == "displayname":
        if op == "remove" or value in (None, ""):
            raise Mutability("displayName can't be removed; replace it with a new name.")
        plan.change.display_name = _text(value, "displayName")
        return
    if name == "externalid":
        plan.change.external_id = "" if op == "remove" else _text(value, "externalId")
        return
    if name in ("id", "meta", "schemas"):
        raise Mutability(f"{path} is read-only.")
    raise InvalidPath(f"{path!r} is not an attribute of a group.")
