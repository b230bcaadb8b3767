"""SCIM 2.0 endpoints (RFC 7644 §3), django-scim2's views extended for the portal.

Every view runs behind ``scim.authentication.ScimAuthMiddleware`` (django-scim2's
AUTH_CHECK_MIDDLEWARE hook), which sets ``request.scim.company``; every query here is
scoped to that company in SQL.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import urljoin

from django.conf import settings
from django.db.models import F, Prefetch, Q
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.http import HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django_scim import exceptions as scim_exceptions
from django_scim import views as scim_views
from django_scim.constants import SCIM_CONTENT_TYPE
from django_scim.models import SCIMServiceProviderConfig

from scim.adapters import ScimUser, base_location
from scim.errors import (
    InvalidFilter,
    InvalidSyntax,
    InvalidValue,
    MethodNotAllowed,
    NotFound,
    NotImplementedByPortal,
    PayloadTooLarge,
    error_response,
)
from scim.filters import GroupFilter, UserFilter
from scim.groups import ScimGroup, domain_errors, group_data, patch_change, unqualified
from scim.mapping import CORE_GROUP
from scim.outages import DatabaseOutageAnswer
from scim.projection import project
from scim.schemas import SCHEMA_SCHEMA, schema_documents
from travelportal.companies import groups
from travelportal.companies.models import Group, GroupMembership, User
from travelportal.querysets import only_match

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_START = 2**31 - 1
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def _unstorable(value) -> str:
    """Why PostgreSQL could not store a JSON value Python accepted, or "": a NUL
    character (text and jsonb refuse it) or a lone surrogate (not valid UTF-8)."""
    if isinstance(value, str):
        if "\x00" in value:
            return "Values must not contain the NUL character (\\u0000)."
        if any("\ud800" <= c <= "\udfff" for c in value):
            return "Values must not contain a lone surrogate (\\ud800-\\udfff): it is not valid Unicode text."
        return ""
    if isinstance(value, dict):
        return next((r for k, v in value.items() for r in (_unstorable(k), _unstorable(v)) if r), "")
    if isinstance(value, list):
        return next((r for v in value if (r := _unstorable(v))), "")
    return ""


def scim_json(doc: dict, *, status: int = 200, location: str = "") -> HttpResponse:
    response = HttpResponse(json.dumps(doc), content_type=SCIM_CONTENT_TYPE, status=status)
    if location:
        response["Location"] = location
    return response


def list_response(resources: list, *, total: int, start: int = 1) -> HttpResponse:
    """RFC 7644 §3.4.2: django-scim2's discovery lists lack totalResults."""
    return scim_json(
        {
            "schemas": [LIST_RESPONSE],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }
    )


def paged(qs, start: int, count: int, *, at_most_one: bool = False) -> tuple[list, int]:
    """One page of ``qs`` in a stable order, and the number of all results. A page that
    is not full tells the total itself, so COUNT runs only when it can't: Entra's
    ``userName eq`` lookups (none or one result) cost one query, not two. ``at_most_one``:
    the filter can match one row at most, which needs no order (compiling the ORDER BY
    against every selected column was a third of such a lookup's CPU)."""
    ordered = qs.order_by() if at_most_one else qs.order_by("created_at", "id")
    page = list(ordered[start - 1 : start - 1 + count]) if count else []
    if count and len(page) < count and (page or start == 1):
        return page, start - 1 + len(page)
    return page, qs.count()


def names_one_person(condition: Q) -> bool:
    """Whether a filter's condition requires the id, or the userName compared without
    case (unique among live people, user_username_unique_ci), to equal one value."""
    if condition.connector != Q.AND or condition.negated:
        return False
    for term in condition.children:
        if isinstance(term, tuple) and term[0] in ("id", "pk"):
            return True
        if isinstance(term, Exact) and isinstance(term.lhs, Lower) and term.lhs.source_expressions == [F("username")]:
            return True
    return False


class PortalScimView(scim_views.SCIMView, DatabaseOutageAnswer):
    """django-scim2's base view with RFC 7644 §3.12 bodies on every error (a database
    outage answers 503: DatabaseOutageAnswer must stay right after SCIMView, see there)."""

    @method_decorator(csrf_exempt)
    def dispatch(self, request, *args, **kwargs):
        # django-scim2's dispatch maps its exceptions to responses; anything unexpected
        # still gets a SCIM body (500) from it, a database outage a 503.
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code >= 400 and not response.content:
            response = error_response(
                scim_exceptions.SCIMException(response.reason_phrase, status=response.status_code)
            )
        return response

    def http_method_not_allowed(self, request, *args, **kwargs):
        allowed = [m.upper() for m in self._allowed_methods()]
        response = error_response(MethodNotAllowed(f"{request.method} is not allowed here; use {', '.join(allowed)}."))
        response["Allow"] = ", ".join(allowed)
        return response

    def load_body(self, body: bytes):
        """Parse JSON whatever the Content-Type (Entra sends application/scim+json);
        invalid JSON is 400 ``invalidSyntax``. The parsed body goes to the log."""
        if len(body) > settings.SCIM_MAX_BODY_BYTES:
            # Also when no Content-Length announced it (chunked uploads).
            raise PayloadTooLarge(f"The request body is larger than {settings.SCIM_MAX_BODY_BYTES} bytes.")
        try:
            # NaN and Infinity are not JSON (RFC 8259 §6) though Python accepts them.
            doc = json.loads(body.decode("utf-8").strip() or "{}", parse_constant=_refuse_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise InvalidSyntax(f"The request body is not valid JSON: {exc}") from exc
        unstorable = _unstorable(doc)
        if unstorable:
            raise InvalidValue(unstorable)
        schemas = doc.get("schemas") if isinstance(doc, dict) else None
        if schemas is not None and not (isinstance(schemas, list) and all(isinstance(u, str) for u in schemas)):
            raise InvalidValue("schemas must be a list of schema URNs (RFC 7643 §3).")
        self.request.scim.body = doc
        if not isinstance(doc, dict):
            raise InvalidSyntax("The request body must be a JSON object.")
        return doc


class UsersView(PortalScimView, scim_views.UsersView):
    """``/Users`` and ``/Users/{id}``: list, get, create, replace, patch, delete."""

    scim_adapter_getter = staticmethod(lambda: ScimUser)

    @property
    def company(self):
        return self.request.scim.company

    def queryset(self):
        return (
            User.objects.for_company(self.company)
            .select_related("manager", "cost_centre", "travel_policy")
            .prefetch_related("invoice_profiles", Prefetch("scim_groups", queryset=Group.objects.order_by("pk")))
        )

    def get_object(self, *, to_write: bool = False) -> User:
        """The live person of this company, or 404 (another company's id too: existence
        never leaks across tenants). ``to_write``: only what a write needs before the
        people domain locks the row and reads it afresh (no relations, no groups)."""
        raw = self.kwargs.get("uuid")
        try:
            pk = uuid.UUID(raw)
        except (TypeError, ValueError):
            raise NotFound(f"User {raw} not found.") from None
        qs = (
            User.objects.for_company(self.company).only("id", "company_id", "username", "is_active", "deleted_at")
            if to_write
            else self.queryset()
        )
        user = only_match(qs.filter(pk=pk))
        if user is None:
            raise NotFound(f"User {raw} not found.")
        # The queryset is scoped to this company: reuse the token's row instead of letting
        # the people domain read it again.
        user.company = self.company
        self.request.scim.user_id, self.request.scim.user_name = user.pk, user.username
        return user

    def _page(self, request, params=None):
        """startIndex is 1-based; count is capped at SCIM_MAX_PAGE_SIZE (RFC 7644 §3.4.2.4:
        a negative count is 0, a startIndex below 1 is 1)."""
        params = params if params is not None else request.GET
        try:
            start = int(params.get("startIndex", 1))
            count = int(params.get("count", settings.SCIM_MAX_PAGE_SIZE))
        except (TypeError, ValueError):
            raise InvalidValue("startIndex and count must be integers.") from None
        # No result list is longer than MAX_START: a larger startIndex is past the end,
        # which answers an empty page (and must not reach the database as an OFFSET
        # beyond its integer range).
        return min(max(start, 1), MAX_START), min(max(count, 0), settings.SCIM_MAX_PAGE_SIZE)

    def get_many(self, request):
        return self._list(request, request.GET.get("filter"), request.GET)

    def _list(self, request, query, params):
        """Filtered in SQL and scoped to the company; counted with COUNT; a stable order."""
        start, count = self._page(request, params)
        qs = self.queryset()
        condition = None
        if query:
            if "\x00" in query:
                raise InvalidFilter("The filter must not contain the NUL character.")
            condition = UserFilter.to_q(query)
            qs = qs.filter(condition)
        page, total = paged(qs, start, count, at_most_one=condition is not None and names_one_person(condition))
        resources = [self._project(ScimUser(u, request=request).to_dict(), params) for u in page]
        return list_response(resources, total=total, start=start)

    def _project(self, doc: dict, params) -> dict:
        return project(doc, attributes=params.get("attributes"), excluded=params.get("excludedAttributes"))

    def get_single(self, request):
        adapter = ScimUser(self.get_object(), request=request)
        return scim_json(self._project(adapter.to_dict(), request.GET), location=adapter.location)

    def post(self, request, *args, **kwargs):
        if kwargs.get("uuid"):
            return self.http_method_not_allowed(request)
        body = self.load_body(request.body)
        self.request.scim.user_name = str(body.get("userName") or "")[:254]
        adapter = ScimUser(User(company=self.company), request=request)
        adapter.validate_dict(body)
        adapter.save()  # atomic in the people domain
        self.request.scim.user_id = adapter.obj.pk
        return scim_json(adapter.to_dict(), status=201, location=adapter.location)

    def put(self, request, *args, **kwargs):
        if not kwargs.get("uuid"):
            return self.http_method_not_allowed(request)
        adapter = ScimUser(self.get_object(to_write=True), request=request)
        body = self.load_body(request.body)
        adapter.validate_dict(body)
        was_active = adapter.obj.is_active
        adapter.save()  # atomic in the people domain
        self._note_activity(was_active, adapter.obj)
        return scim_json(adapter.to_dict(), location=adapter.location)

    def patch(self, request, *args, **kwargs):
        if not kwargs.get("uuid"):
            return self.http_method_not_allowed(request)
        adapter = ScimUser(self.get_object(to_write=True), request=request)
        body = self.load_body(request.body)
        was_active = adapter.obj.is_active
        adapter.handle_operations(body)  # one atomic write in the people domain
        self._note_activity(was_active, adapter.obj)
        return scim_json(adapter.to_dict(), location=adapter.location)

    def delete(self, request, *args, **kwargs):
        if not kwargs.get("uuid"):
            return self.http_method_not_allowed(request)
        ScimUser(self.get_object(to_write=True), request=request).delete()  # atomic in the people domain
        return HttpResponse(status=204)

    def _note_activity(self, was_active: bool, user: User) -> None:
        self.request.scim.user_name = user.username
        if was_active != user.is_active:
            self.request.scim.operation = "enable" if user.is_active else "disable"


MEMBERS = {"members", f"{CORE_GROUP.lower()}:members"}


def _names(value) -> set[str]:
    return {n.strip().lower() for n in (value or "").split(",") if n.strip()}


class GroupsView(PortalScimView, scim_views.GroupsView):
    """``/Groups`` and ``/Groups/{id}`` (RFC 7644 §3.4-3.6), scoped to the token's company."""

    scim_adapter_getter = staticmethod(lambda: ScimGroup)
    _page = UsersView._page

    @property
    def company(self):
        return self.request.scim.company

    def _note(self, group: Group | None, operation: str = "") -> None:
        self.request.scim.resource_type = "Group"
        if group is not None:
            self.request.scim.user_name = group.display_name
        if operation:
            self.request.scim.operation = operation

    def queryset(self, params=None):
        """The company's groups; their members (with the people, for ``display``) in one
        query per page, and not at all when ``members`` is excluded."""
        qs = Group.objects.for_company(self.company)
        if self._with_members(params):
            qs = qs.prefetch_related(
                Prefetch("memberships", queryset=GroupMembership.objects.for_members_list().order_by("user_id"))
            )
        return qs

    def _with_members(self, params) -> bool:
        params = params if params is not None else self.request.GET
        excluded = _names(unqualified(params.get("excludedAttributes")))
        wanted = _names(unqualified(params.get("attributes")))
        if excluded & MEMBERS:
            return False
        return not wanted or any(n in MEMBERS or n.split(".")[0] in MEMBERS for n in wanted)

    def get_object(self, params=None) -> Group:
        raw = self.kwargs.get("uuid")
        try:
            pk = uuid.UUID(raw)
        except (TypeError, ValueError):
            raise NotFound(f"Group {raw} not found.") from None
        group = only_match(self.queryset(params).filter(pk=pk))
        if group is None:
            raise NotFound(f"Group {raw} not found.")
        group.company = self.company
        self._note(group)
        return group

    def _render(self, group: Group, params, *, status: int = 200) -> HttpResponse:
        adapter = ScimGroup(group, request=self.request, with_members=self._with_members(params))
        return scim_json(self._project(adapter.to_dict(), params), status=status, location=adapter.location)

    @staticmethod
    def _project(doc: dict, params) -> dict:
        return project(
            doc,
            attributes=unqualified(params.get("attributes")),
            excluded=unqualified(params.get("excludedAttributes")),
        )

    def get(self, request, *args, **kwargs):
        self._note(None)
        return super().get(request, *args, **kwargs)

    def http_method_not_allowed(self, request, *args, **kwargs):
        self._note(None)
        return super().http_method_not_allowed(request, *args, **kwargs)

    def get_many(self, request):
        return self._list(request, request.GET.get("filter"), request.GET)

    def _list(self, request, query, params):
        start, count = self._page(request, params)
        qs = self.queryset(params)
        if query:
            if "\x00" in query:
                raise InvalidFilter("The filter must not contain the NUL character.")
            qs = qs.filter(GroupFilter.to_q(query))
        page, total = paged(qs, start, count)
        with_members = self._with_members(params)
        resources = [
            self._project(ScimGroup(g, request=request, with_members=with_members).to_dict(), params) for g in page
        ]
        return list_response(resources, total=total, start=start)

    def get_single(self, request):
        return self._render(self.get_object(), request.GET)

    def post(self, request, *args, **kwargs):
        self._note(None, "create")
        if kwargs.get("uuid"):
            return self.http_method_not_allowed(request)
        body = self.load_body(request.body)
        data = group_data(body)
        self.request.scim.user_name = data.display_name[:254]
        with domain_errors():
            group = groups.create_group(company=self.company, data=data)
        self.request.scim.user_id = None
        return self._render(self._reloaded(group), request.GET, status=201)

    def put(self, request, *args, **kwargs):
        self._note(None)
        if not kwargs.get("uuid"):
            return self.http_method_not_allowed(request)
        # The members are replaced and read back afterwards: not loaded here.
        group = self.get_object(params={"excludedAttributes": "members"})
        data = group_data(self.load_body(request.body))
        with domain_errors():
            group = groups.replace_group(group=group, data=data)
        self._note(group)
        return self._render(self._reloaded(group), request.GET)

    def patch(self, request, *args, **kwargs):
        """RFC 7644 §3.5.2: 204 No Content, or 200 with the group when the request asks
        for ``attributes`` (Entra reads nothing back)."""
        self._note(None)
        if not kwargs.get("uuid"):
            return self.http_method_not_allowed(request)
        group = self.get_object(params={"excludedAttributes": "members"})
        change = patch_change(self.load_body(request.body))
        with domain_errors():
            group = groups.edit_group(group=group, edit=lambda fresh: change)
        self._note(group)
        if request.GET.get("attributes"):
            return self._render(self._reloaded(group), request.GET)
        return HttpResponse(status=204)

    def delete(self, request, *args, **kwargs):
        self._note(None)
        if not kwargs.get("uuid"):
            return self.http_method_not_allowed(request)
        groups.delete_group(group=self.get_object(params={"excludedAttributes": "members"}))
        return HttpResponse(status=204)

    def _reloaded(self, group: Group) -> Group:
        fresh = self.queryset().get(pk=group.pk)
        fresh.company = self.company
        return fresh


class GroupSearchView(GroupsView):
    """``POST /Groups/.search`` (RFC 7644 §3.4.3)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self._note(None, "read")
        return _search(self, request)


class UserSearchView(UsersView):
    """``POST /Users/.search`` (RFC 7644 §3.4.3)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        return _search(self, request)


def _search(view, request):
    """A SearchRequest (RFC 7644 §3.4.3) answered like the GET it stands for."""
    body = view.load_body(request.body)
    view.request.scim.operation = "read"
    if SEARCH_REQUEST not in (body.get("schemas") or []):
        raise InvalidValue(f"A search request must carry the schema {SEARCH_REQUEST}.")
    query = body.get("filter")
    if query is not None and not isinstance(query, str):
        raise InvalidValue("filter must be a string, a filter expression (RFC 7644 §3.4.2.2).")
    params = {k: v for k, v in body.items() if k in ("startIndex", "count")}
    for key in ("attributes", "excludedAttributes"):
        names = _attribute_names(body.get(key), key)
        if names is not None:
            params[key] = names
    return view._list(request, query, params)


def _attribute_names(value, key: str) -> str | None:
    """``attributes`` or ``excludedAttributes`` of a SearchRequest as the query parameter's
    comma-separated names. RFC 7644 §3.4.3 makes them multi-valued strings; a client may
    also send the query parameter's form, one string. Any other value is 400
    ``invalidValue`` (§3.12: "not compatible with the ... attribute type"), the answer a
    ``startIndex`` that is not an integer gets, rather than the request ignored; not
    ``invalidSyntax``, as the body is a well-formed SearchRequest with one value of the
    wrong type."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return ",".join(value)
    raise InvalidValue(f"{key} must be a string of comma-separated attribute names or a list of them.")


class ServiceProviderConfig(SCIMServiceProviderConfig):
    """RFC 7643 §5, describing what the portal really offers."""

    def to_dict(self):
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": urljoin(base_location(self.request), "scim/v2/"),
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": settings.SCIM_MAX_PAGE_SIZE},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": False},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "OAuth Bearer Token",
                    "description": "A company's SCIM token or OAuth 2.0 access token (RFC 6750).",
                    "primary": True,
                }
            ],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": urljoin(base_location(self.request), reverse("scim:service-provider-config").lstrip("/")),
            },
        }


class ServiceProviderConfigView(PortalScimView, scim_views.ServiceProviderConfigView):
    def get(self, request, *args, **kwargs):
        return scim_json(ServiceProviderConfig(request=request).to_dict())


class ResourceTypesView(PortalScimView, scim_views.ResourceTypesView):
    """``User`` and ``Group``."""

    def get(self, request, uuid=None, *args, **kwargs):
        types = {"User": ScimUser.resource_type_dict(request), "Group": ScimGroup.resource_type_dict(request)}
        if uuid:
            if uuid not in types:
                raise NotFound(f"Resource type {uuid} not found.")
            return scim_json(types[uuid])
        return list_response(list(types.values()), total=len(types))


class SchemasView(PortalScimView, scim_views.SchemasView):
    """RFC 7643 §7; django-scim2's schema resources lack ``schemas`` and ``meta``."""

    def _documents(self, request) -> dict[str, dict]:
        base = base_location(request)
        documents = {}
        for doc in schema_documents(request.scim.company):
            location = urljoin(base, reverse("scim:schemas", kwargs={"uuid": doc["id"]}).lstrip("/"))
            documents[doc["id"]] = {
                "schemas": [SCHEMA_SCHEMA],
                **doc,
                "meta": {"resourceType": "Schema", "location": location},
            }
        return documents

    def get(self, request, uuid=None, *args, **kwargs):
        documents = self._documents(request)
        if uuid:
            if uuid not in documents:
                raise NotFound(f"Schema {uuid} not found.")
            return scim_json(documents[uuid])
        return list_response(list(documents.values()), total=len(documents))


class NotFoundView(PortalScimView):
    """Anything else under the SCIM base is a SCIM 404."""

    http_method_names = ["get", "post", "put", "patch", "delete"]

    def get(self, request, *args, **kwargs):
        raise NotFound(f"There is no SCIM resource at {request.path}.")

    post = put = patch = delete = get


class NotOfferedView(PortalScimView):
    """Endpoints RFC 7644 defines that the portal does not offer (Bulk, /Me, root search)."""

    http_method_names = ["get", "post", "put", "patch", "delete"]

    def get(self, request, *args, **kwargs):
        raise NotImplementedByPortal(f"{request.path} is not offered by this service provider.")

    post = put = patch = delete = get
