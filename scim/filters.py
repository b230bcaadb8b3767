"""SCIM filters (RFC 7644 §3.4.2.2) to Django ``Q`` objects.

django-scim2's filter runs scim2-filter-parser's raw SQL across every tenant and drops
other tenants' rows in Python, and a filter on an unmapped attribute silently matches
nothing. Here the parser's AST becomes a ``Q`` that the view ANDs with the company scope,
so the database does the scoping, and an unknown attribute or operator is a 400
``invalidFilter``. String comparisons are case-insensitive (Entra's validator searches
userName and externalId in another case than it created them).
"""

from __future__ import annotations

import json
import re
import uuid

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils.dateparse import parse_datetime
from django_scim.filters import UserFilterQuery
from scim2_filter_parser import ast as scim_ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser, SCIMParserError

from scim.errors import InvalidFilter
from scim.mapping import CORE_GROUP, FILTERS, GROUP_FILTERS, USER_URNS, FilterField
from travelportal.companies.models import GroupMembership

MATCH_NOTHING = Q(pk__in=[])


# (attribute, sub-attribute, schema URN) lower-cased -> what to compare, from the map.
FIELDS: dict[tuple[str, str | None, str], FilterField] = FILTERS

STRING_LOOKUPS = {"eq": "iexact", "co": "icontains", "sw": "istartswith", "ew": "iendswith"}
ORDER_LOOKUPS = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}
MULTI_VALUED = {"emails", "phonenumbers"}


class _Lexer(SCIMLexer):
    """scim2-filter-parser's lexer, with comparison values read as the JSON strings RFC
    7644 §3.4.2.2 says they are: its own ends a value at the first quote, so
    ``displayName eq "Team \\"A\\""`` (a group named with quotes) could not be parsed and
    ``\\\\`` was compared as two backslashes. A value that is not valid JSON (a lone
    ``\\`` before a letter, as in ``DOMAIN\\user``) is taken as written."""

    tokens = SCIMLexer.tokens

    @_(r'"(?:[^"\\]|\\.)*"')  # noqa: F821 - sly provides _ in the class body
    def COMP_VALUE(self, t):
        try:
            t.value = json.loads(t.value)
        except ValueError:
            t.value = t.value[1:-1]
        if any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in t.value):
            # An escaped NUL or lone surrogate: no database can compare with it.
            raise InvalidFilter("A filter value must not contain NUL (\\u0000) or a lone surrogate.")
        return t


class UserFilter(UserFilterQuery):
    """django-scim2's USER_FILTER_PARSER, replaced by a ``Q`` builder (see module doc)."""

    attr_map = {("userName", None, None): "username"}

    @classmethod
    def search(cls, filter_query, request=None):  # pragma: no cover - the view calls to_q
        raise NotImplementedError("use UserFilter.to_q and scope the queryset to the company")

    fields = FIELDS
    urns = USER_URNS

    @classmethod
    def to_q(cls, filter_query: str) -> Q:
        """Parse ``filter_query``; raise ``InvalidFilter`` with a readable detail."""
        try:
            tree = SCIMParser().parse(_Lexer().tokenize(filter_query))
        except (SCIMParserError, ValueError, IndexError, AttributeError) as exc:
            raise InvalidFilter(f"The filter could not be parsed: {_parse_error_detail(exc)}") from exc
        if tree is None:
            raise InvalidFilter("The filter could not be parsed.")
        return _Builder(cls.fields, cls.urns).build(tree)


class GroupFilter(UserFilter):
    """Filters of the Group resource: ``displayName`` (case-insensitive), ``externalId``,
    ``id``, ``meta`` dates and ``members`` (or ``members.value``) by a member's id, from
    the attribute map."""

    fields = GROUP_FILTERS
    urns = (CORE_GROUP,)


# scim2-filter-parser reports errors as "Parsing error at: Token(type=..., value='x', ...,
# index=N, ...)" or "... at: None" (input ended); a SCIM client's admin needs neither the
# parser's token repr nor its internals, only where the filter went wrong.
_TOKEN_ERROR = re.compile(r"value='(?P<value>.*?)', lineno=\d+, index=(?P<index>\d+)")


def _parse_error_detail(exc: Exception) -> str:
    message = str(exc)
    if message.endswith("at: None"):
        return "it ends before the expression is complete (an operator or a quoted value is missing)."
    match = _TOKEN_ERROR.search(message)
    if match:
        return f"unexpected {match['value']!r} at character {int(match['index']) + 1}."
    return "it is not a valid SCIM filter expression (RFC 7644 §3.4.2.2)."


def _work_value_stored(namespace: str) -> Q:
    """The person has the (one, work, primary) element of ``emails``/``phoneNumbers``."""
    return ~Q(**{FIELDS[(namespace, None, USER_URNS[0])].lookup: ""})


class _Builder:
    def __init__(self, fields: dict[tuple[str, str | None, str], FilterField], urns: tuple[str, ...]) -> None:
        self.fields = fields
        self.urns = urns
        # Unqualified names are accepted (RFC 7644 §3.10 lets clients leave the URN out
        # when the name is unambiguous).
        self.unqualified = {(a, s): urn for (a, s, urn) in fields}

    def build(self, node, namespace: str | None = None) -> Q:
        if isinstance(node, scim_ast.Filter):
            space = namespace
            if node.namespace is not None:
                space = self._namespace(node.namespace)
            q = self.build(node.expr, space)
            return ~q if node.negated else q
        if isinstance(node, scim_ast.LogExpr):
            left, right = self.build(node.expr1, namespace), self.build(node.expr2, namespace)
            return (left & right) if node.op.lower() == "and" else (left | right)
        if isinstance(node, scim_ast.AttrExpr):
            return self._comparison(node, namespace)
        raise InvalidFilter("This filter form is not supported.")

    def _namespace(self, path: scim_ast.AttrPath) -> str:
        name = str(path.attr_name).lower()
        if name not in MULTI_VALUED:
            value = self.fields.get((name, "value", self.unqualified.get((name, "value"), "")))
            if value is not None and value.kind == "member":
                # Multi-valued, but a value filter would have to test one membership
                # against every condition in the brackets; ids are all it offers.
                shown = path.attr_name
                raise InvalidFilter(f'A value filter on {shown} is not supported; compare {shown} eq "<user id>".')
            raise InvalidFilter(f"{path.attr_name} is not a multi-valued attribute.")
        return name

    def _comparison(self, node: scim_ast.AttrExpr, namespace: str | None) -> Q:
        path = node.attr_path
        if isinstance(path.attr_name, scim_ast.Filter):
            # emails[type eq "work"].value eq "x": both parts must hold.
            inner = path.attr_name
            space = self._namespace(inner.namespace)
            sub = inner.namespace.sub_attr.value if inner.namespace.sub_attr else None
            head = self.build(inner.expr, space)
            tail_path = scim_ast.AttrPath(space, scim_ast.SubAttr(sub) if sub else None, None)
            return head & self._compare(self._field(tail_path, None), node)
        if namespace:
            sub = str(path.attr_name).lower()
            if sub == "type":
                return self._type_comparison(node, namespace)
            if sub == "primary":
                return self._primary_comparison(node, namespace)
            path = scim_ast.AttrPath(namespace, scim_ast.SubAttr(sub), None)
        return self._compare(self._field(path, namespace), node)

    def _primary_comparison(self, node: scim_ast.AttrExpr, namespace: str) -> Q:
        # The stored element's primary flag as sent; one never sent reads as true.
        present = _work_value_stored(namespace)
        if node.value.lower() == "pr":
            return present
        lookup = FIELDS[(namespace, "primary", USER_URNS[0])].lookup
        op, text = node.value.lower(), str(node.comp_value.value if node.comp_value else "").lower()
        if text not in ("true", "false") or op not in ("eq", "ne"):
            raise InvalidFilter("primary compares with eq or ne against true or false.")
        is_true = (text == "true") == (op == "eq")
        if is_true:
            return present & (Q(**{f"{lookup}__isnull": True}) | Q(**{lookup: True}))
        return present & Q(**{lookup: False})

    def _type_comparison(self, node: scim_ast.AttrExpr, namespace: str) -> Q:
        # Only the work value is stored; it exists when its column is not empty.
        op = node.value.lower()
        value = (node.comp_value.value if node.comp_value else "") or ""
        present = _work_value_stored(namespace)
        if op == "pr":
            return present
        if op == "eq":
            return present if str(value).lower() == "work" else MATCH_NOTHING
        if op == "ne":
            return MATCH_NOTHING if str(value).lower() == "work" else present
        raise InvalidFilter(f"type supports only eq, ne and pr, not {op}.")

    def _field(self, path: scim_ast.AttrPath, namespace: str | None) -> FilterField:
        name = str(path.attr_name).lower()
        sub = path.sub_attr.value.lower() if path.sub_attr else None
        uri = path.uri.lower() if path.uri else None
        if uri is None:
            uri = self.unqualified.get((name, sub))
        else:
            uri = next((u for u in self.urns if u.lower() == uri), uri)
        field = self.fields.get((name, sub, uri)) if uri else None
        if field is None:
            shown = ".".join(p for p in (str(path.attr_name), path.sub_attr.value if path.sub_attr else None) if p)
            raise InvalidFilter(f"Filtering on {shown!r} is not supported.")
        return field

    def _compare(self, field: FilterField, node: scim_ast.AttrExpr) -> Q:
        op = node.value.lower()
        raw = node.comp_value.value if node.comp_value is not None else None
        if op not in field.ops:
            shown = ", ".join(sorted(field.ops))
            raise InvalidFilter(f"{_shown(node.attr_path)} can't be compared with {op}; it supports {shown}.")
        if op == "pr":
            if field.kind == "member":
                return Q(Exists(_memberships()))
            if field.kind in ("boolean", "datetime", "id"):
                return Q(pk__isnull=False)
            if field.kind == "reference":
                return Q(**{f"{field.lookup}__isnull": False})
            if field.nullable:
                return Q(**{f"{field.lookup}__isnull": False}) & ~Q(**{field.lookup: ""})
            return ~Q(**{field.lookup: ""})
        if raw is None or (isinstance(raw, str) and raw.lower() == "null" and field.kind != "string"):
            raise InvalidFilter(f"{op} needs a value to compare with.")
        if field.kind == "boolean":
            return self._boolean(field, op, raw)
        if field.kind == "datetime":
            return self._datetime(field, op, raw)
        if field.kind in ("id", "reference"):
            return self._identifier(field, op, raw)
        if field.kind == "member":
            return self._member(raw)
        value = str(raw)
        if op == "eq" and field.lookup == "username":
            # Entra's find-by-userName runs for every user of every cycle: compare with
            # LOWER() so PostgreSQL uses the case-insensitive unique index on userName.
            return Q(Exact(Lower("username"), value.lower()))
        if op == "eq" and field.case_exact:
            return Q(**{field.lookup: value})
        if op in STRING_LOOKUPS:
            return Q(**{f"{field.lookup}__{STRING_LOOKUPS[op]}": value})
        if op == "ne":
            q = ~Q(**{field.lookup: value} if field.case_exact else {f"{field.lookup}__iexact": value})
            return q | Q(**{f"{field.lookup}__isnull": True}) if field.nullable else q
        if op in ORDER_LOOKUPS:
            return Q(**{f"{field.lookup}__{ORDER_LOOKUPS[op]}": value})
        raise InvalidFilter(f"Unknown operator {op!r}.")

    def _boolean(self, field: FilterField, op: str, raw: str) -> Q:
        text = str(raw).lower()
        if text not in ("true", "false") or op not in ("eq", "ne"):
            raise InvalidFilter("A boolean attribute compares with eq or ne against true or false.")
        value = text == "true"
        return Q(**{field.lookup: value if op == "eq" else not value})

    def _datetime(self, field: FilterField, op: str, raw: str) -> Q:
        try:
            moment = parse_datetime(str(raw))
        except ValueError:
            moment = None
        if moment is None:
            raise InvalidFilter(f"{raw!r} is not a date-time (RFC 3339, e.g. 2026-01-31T12:00:00Z).")
        if op == "eq":
            return Q(**{field.lookup: moment})
        if op == "ne":
            return ~Q(**{field.lookup: moment})
        if op in ORDER_LOOKUPS:
            return Q(**{f"{field.lookup}__{ORDER_LOOKUPS[op]}": moment})
        raise InvalidFilter(f"A date-time attribute does not support {op}.")

    def _identifier(self, field: FilterField, op: str, raw: str) -> Q:
        if op not in ("eq", "ne"):
            raise InvalidFilter(f"An id compares only with eq, ne or pr, not {op}.")
        try:
            value = uuid.UUID(str(raw))
        except ValueError:
            # Not an id the portal ever assigned: eq matches nobody, ne everybody.
            return MATCH_NOTHING if op == "eq" else Q(pk__isnull=False)
        q = Q(**{field.lookup: value})
        return q if op == "eq" else ~q

    def _member(self, raw: str) -> Q:
        """``members eq "U"`` and ``members.value eq "U"``: a multi-valued attribute matches
        when any of its values does (RFC 7644 §3.4.2.2), and a member's value is its id.
        Entra leaves ``.value`` out, as Microsoft's "query groups by member" shows.

        One EXISTS per comparison rather than a join: no group is listed twice, and
        ``members eq "A" and members eq "B"`` asks for two memberships, not for one row
        naming both. An id the portal never assigned matches no group, like an unknown
        one. Another company's person matches none either: the group is the view's
        company-scoped row and the database refuses a membership across companies
        (``groupmembership_same_company``); nor does a deleted person, whom
        ``delete_person`` takes out of every group."""
        try:
            value = uuid.UUID(str(raw))
        except ValueError:
            return MATCH_NOTHING
        return Q(Exists(_memberships().filter(user_id=value)))


def _memberships():
    """The memberships of the group the filter is evaluated on; a test on them is
    answered by the ``(group, user)`` unique index."""
    return GroupMembership.objects.filter(group_id=OuterRef("pk"))


def _shown(path: scim_ast.AttrPath) -> str:
    name = path.attr_name if isinstance(path.attr_name, str) else "the attribute"
    return ".".join(p for p in (str(name), path.sub_attr.value if path.sub_attr else None) if p)
