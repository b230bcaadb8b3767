"""The Developers page's form for a new API key."""

from __future__ import annotations

from django import forms

from travelportal.api.scopes import API_SCOPES
from travelportal.companysettings.forms import SecretTokenForm


class ApiKeyForm(SecretTokenForm):
    """A name, the scopes (each one an API operation family) and an optional expiry."""

    scopes = forms.MultipleChoiceField(
        choices=list(API_SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one scope."},
        help_text="What the key may do. Give an integration only the scopes it needs.",
    )

    field_order = ["name", "scopes", "expires_on"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = "Give the key a name."
        self.fields["name"].help_text = "So you can tell keys apart, for example “ERP sync”."
        self.fields[
            "expires_on"
        ].help_text = "The key stops working at the end of this day (UTC). Leave empty for no expiry."
