"""Forms of single sign-on: the sign-in page's SSO path and the Company Settings SSO page."""

from __future__ import annotations

from django import forms

from travelportal.accounts.models import NameIdAttribute, SsoConfiguration
from travelportal.accounts.saml.policy import company_for_email
from travelportal.companies.models import Company, User


class SsoStartForm(forms.Form):
    email = forms.EmailField(
        label="Work email", required=False, widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    company = forms.SlugField(
        label="Company",
        required=False,
        help_text="Your company's short name in the portal, if your email does not find it.",
    )

    company_found: Company | None = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        slug = (data.get("company") or "").lower()
        if slug:
            configuration = SsoConfiguration.objects.select_related("company").filter(company__slug=slug).first()
            if configuration is None or not configuration.has_identity_provider:
                raise forms.ValidationError("No company with single sign-on is known by that name.")
            self.company_found = configuration.company
        elif data.get("email"):
            self.company_found = company_for_email(data["email"])
            if self.company_found is None:
                raise forms.ValidationError(
                    "Your email does not tell us your company. Enter your company's short name to continue."
                )
        else:
            raise forms.ValidationError("Enter your work email or your company's short name.")
        return data


class IdpMetadataForm(forms.Form):
    metadata_url = forms.URLField(
        label="App Federation Metadata Url",
        required=False,
        max_length=2048,
        assume_scheme="https",
        # A text box: the portal's styles (and Entra's long URLs) suit it better than type=url.
        widget=forms.TextInput(attrs={"inputmode": "url", "spellcheck": "false"}),
        help_text="From Entra's SAML Certificates section.",
    )
    metadata_file = forms.FileField(
        label="Or upload Federation Metadata XML", required=False, help_text="The file Entra downloads."
    )

    def clean(self):
        data = super().clean()
        if not self.errors and bool(data.get("metadata_url")) == bool(data.get("metadata_file")):
            raise forms.ValidationError("Give either the metadata URL or the metadata file.")
        return data


class IdpManualForm(forms.Form):
    idp_entity_id = forms.CharField(label="Microsoft Entra Identifier (entity ID)", max_length=1024)
    idp_sso_url = forms.URLField(
        label="Login URL",
        max_length=2048,
        assume_scheme="https",
        widget=forms.TextInput(attrs={"inputmode": "url", "spellcheck": "false"}),
    )
    certificate = forms.CharField(
        label="Signing certificate (Base64)",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="Entra's Certificate (Base64): the PEM text, or the base64 alone.",
    )
    next_certificate = forms.CharField(
        label="Second signing certificate (during a rollover)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="Both certificates are trusted, so nobody is locked out while Entra switches.",
    )


class SsoOptionsForm(forms.Form):
    require_sso = forms.BooleanField(
        label="Require SSO",
        required=False,
        help_text="People of your company can't sign in with a password, except the break-glass admins below.",
    )
    jit_provisioning = forms.BooleanField(
        label="Just-in-time creation",
        required=False,
        help_text="Someone Entra signs in who has no account yet is created with the name and email of the claims.",
    )
    name_id_attribute = forms.ChoiceField(
        label="Match the NameID to",
        choices=NameIdAttribute.choices,
        # Left out of a POST: unchanged (update_sso_options keeps it).
        required=False,
        help_text=(
            "Entra's Unique User Identifier: user.userprincipalname (the default) is the userName; "
            "user.objectid (the objectidentifier format) is the externalId. No other claim finds anyone."
        ),
    )
    break_glass_admins = forms.ModelMultipleChoiceField(
        label="Break-glass admins",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Admins who may still sign in with a password, should Entra be unreachable.",
    )
    email_domains = forms.CharField(
        label="Email domains",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text="One per line: people who enter an email of these domains on the sign-in page go to Entra.",
    )

    def __init__(self, *args, configuration: SsoConfiguration, **kwargs) -> None:
        if not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "require_sso": configuration.require_sso,
                "jit_provisioning": configuration.jit_provisioning,
                "name_id_attribute": configuration.name_id_attribute,
                "break_glass_admins": list(configuration.break_glass_admins.values_list("pk", flat=True)),
                "email_domains": "\n".join(d.domain for d in configuration.email_domains.all()),
            }
        super().__init__(*args, **kwargs)
        self.fields["break_glass_admins"].queryset = User.objects.for_company(configuration.company).filter(
            role=User.Role.ADMIN, is_active=True
        )
