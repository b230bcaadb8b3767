"""Scopes checked per operation, for API keys and OAuth tokens alike."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from travelportal.api.authentication import ApiCaller
from travelportal.api.problems import InsufficientScope

# No action: a method the path does not take, answered 405 once the caller is known.
# "metadata": OPTIONS, which describes the path and reads no data.
NO_SCOPE_ACTIONS = (None, "metadata")


def required_scope(view) -> str | None:
    """The scope ``view``'s current action needs, from its ``required_scopes`` map
    (action name to scope). An action missing from the map needs a scope nobody has, so
    a forgotten entry refuses rather than opens."""
    action = getattr(view, "action", None)
    if action in NO_SCOPE_ACTIONS:
        return None
    return getattr(view, "required_scopes", {}).get(action, "unmapped")


class HasRequiredScope(BasePermission):
    """No credential is a 401 (DRF's NotAuthenticated); a credential without the
    operation's scope is a 403 ``insufficient_scope`` naming it (RFC 6750 §3.1)."""

    def has_permission(self, request, view) -> bool:
        caller = request.auth
        if not isinstance(caller, ApiCaller):
            return False  # DRF answers 401: there is no authenticated caller.
        scope = required_scope(view)
        if scope is None or caller.has_scope(scope):
            return True
        header = f'Bearer realm="api", error="insufficient_scope", scope="{scope}"'
        raise InsufficientScope(f"This operation needs the scope {scope}.", required_scope=scope, auth_header=header)
