"""The API's scopes: one table that OAuth (``OAUTH2_PROVIDER["SCOPES"]``), API keys, the
Developers page and the OpenAPI document all read.

Pure Python with no Django import, so ``settings.py`` can read it.
"""

from __future__ import annotations

API_SCOPES: dict[str, str] = {
    "users:read": "Read the company's people",
    "cost_centers:read": "Read cost centres",
    "cost_centers:write": "Create, rename and archive cost centres and set their members",
    "policies:read": "Read travel policies",
    "policies:write": "Create, change and archive travel policies",
    "trips:read": "Read trips and invoice profiles",
    "approvals:read": "Read approval processes and pending approvals",
    "approvals:write": "Edit manual approval processes and decide approvals",
    "webhooks:read": "Read webhook subscriptions and deliveries",
    "webhooks:write": "Create, change and delete webhook subscriptions",
    "provisioning:read": "Read the provisioning log",
}
