"""Forms of the Company Settings pages; every one is bound to the admin's company."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q
from django.forms.models import fields_for_model
from django.utils import timezone

from approvals.models import ApprovalProcess
from travelportal.companies.catalogue import name_taken
from travelportal.companies.models import Company, CostCentre, Group, InvoiceProfile, TravelPolicy, User
from travelportal.companies.people import IDP_OWNED_FIELDS, LOCALLY_EDITABLE_FIELDS, editable_fields_for
from travelportal.provisioning.models import ProvisioningLogEntry
from travelportal.tokens.scopes import API_SCOPES

# --- Credentials: SCIM tokens (SCIM page) and API keys (Developers page) --------------------


class CredentialForm(forms.Form):
    """A name and an optional expiry: the form of a SCIM token, and the base of ``ApiKeyForm``."""

    name = forms.CharField(
        max_length=100,
        error_messages={"required": "Give the token a name."},
        help_text="So you can tell tokens apart, for example “Entra ID production”.",
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on (optional)",
        help_text="The token stops working at the end of this day (UTC). Leave empty for no expiry.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    # Far enough for any integration; it also keeps the end of the day computable (the
    # date input accepts 9999-12-31, whose next day does not exist).
    MAX_LIFETIME = dt.timedelta(days=10 * 366)

    def clean_expires_on(self) -> dt.date | None:
        value = self.cleaned_data.get("expires_on")
        if value is None:
            return None
        today = timezone.now().date()
        if value < today:
            raise forms.ValidationError("The expiry date must be today or later.")
        if value > today + self.MAX_LIFETIME:
            raise forms.ValidationError("The expiry date must be within 10 years. Leave it empty for no expiry.")
        return value

    @property
    def expires_at(self) -> dt.datetime | None:
        value = self.cleaned_data.get("expires_on")
        if value is None:
            return None
        return dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


class ApiKeyForm(CredentialForm):
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


class ApprovalSettingsForm(forms.Form):
    """The tutorial's SCIM approvals settings: Through an Identity Provider, Enable
    automatic approval process creation, the chain depth and which trips need approval."""

    ON_DISABLE_CHOICES = [
        ("convert", "Convert them to manual approval processes (keep the approvers)"),
        ("delete", "Delete them"),
    ]

    approvals_through_idp = forms.BooleanField(
        required=False,
        label="Through an Identity Provider",
        help_text="Approvers come from the manager attribute the identity provider sends.",
    )
    auto_approval_processes = forms.BooleanField(
        required=False,
        label="Enable automatic approval process creation",
        help_text="Each person's manager becomes the approver of their trips.",
    )
    chain_depth = forms.TypedChoiceField(
        coerce=int,
        choices=[(1, "1 step (the manager)"), (2, "2 steps (manager, then their manager)"), (3, "3 steps")],
        label="Approval chain depth",
    )
    auto_process_trips = forms.ChoiceField(
        choices=Company.TripsRequiringApproval.choices, label="Trips that need approval"
    )
    on_disable = forms.ChoiceField(
        choices=ON_DISABLE_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        label="When turning automatic creation off, the existing automatic processes",
    )

    def __init__(self, *args, company: Company, **kwargs) -> None:
        self.company = company
        kwargs.setdefault(
            "initial",
            {
                "approvals_through_idp": company.approvals_through_idp,
                "auto_approval_processes": company.auto_approval_processes,
                "chain_depth": company.approval_chain_depth,
                "auto_process_trips": company.auto_process_trips,
                "on_disable": "convert",
            },
        )
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("auto_approval_processes") and not data.get("approvals_through_idp"):
            self.add_error(
                "auto_approval_processes",
                "Automatic approval processes need “Through an Identity Provider” to be selected.",
            )
        turning_off = self.company.auto_approval_processes and not data.get("auto_approval_processes")
        if turning_off and not data.get("on_disable"):
            self.add_error("on_disable", "Choose what happens to the existing automatic approval processes.")
        if not turning_off:
            data["on_disable"] = "convert"
        return data


# --- Catalogue: cost centres, invoice profiles, travel policies ----------------------------


class CatalogueEntryForm(forms.ModelForm):
    """Names are unique within the company; checked here so a clash is a clear error next
    to the field (the database constraint backs it up)."""

    def __init__(self, *args, company: Company, **kwargs) -> None:
        self.company = company
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.instance.company = company

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("This field is required.")
        if name_taken(
            model=self._meta.model, company=self.company, name=name, excluding=self.instance.pk, ignore_case=True
        ):
            noun = self._meta.model._meta.verbose_name
            raise forms.ValidationError(f"There is already a {noun} named “{name}”.")
        return name

    def values(self) -> dict[str, object]:
        """The entry's fields as entered, for ``create_catalogue_entry``."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}

    def changes(self) -> dict[str, object]:
        """Only the fields the admin changed, for ``update_catalogue_entry``: a field
        another admin changed meanwhile keeps their value."""
        return {name: value for name, value in self.values().items() if name in self.changed_data}


class _CurrencyMixin:
    def _clean_currency_field(self, field: str) -> str:
        return (self.cleaned_data.get(field) or "").strip().upper()


class CostCentreForm(CatalogueEntryForm):
    class Meta:
        model = CostCentre
        fields = ["name"]


class InvoiceProfileForm(_CurrencyMixin, CatalogueEntryForm):
    class Meta:
        model = InvoiceProfile
        fields = ["name", "legal_name", "vat_number", "billing_address", "currency", "billing_period"]
        widgets = {"billing_address": forms.Textarea(attrs={"rows": 3})}

    def clean_currency(self) -> str:
        return self._clean_currency_field("currency")


class TravelPolicyForm(_CurrencyMixin, CatalogueEntryForm):
    class Meta:
        model = TravelPolicy
        fields = [
            "name",
            "max_flight_cabin",
            "max_hotel_price_per_night",
            "hotel_price_currency",
            "max_trip_cost",
            "allow_out_of_policy",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in ("max_hotel_price_per_night", "max_trip_cost"):
            self.fields[field].widget.attrs["min"] = "0"
            self.fields[field].validators.append(_not_negative)

    def clean_hotel_price_currency(self) -> str:
        return self._clean_currency_field("hotel_price_currency")


def _not_negative(value) -> None:
    if value is not None and value < 0:
        raise forms.ValidationError("It can't be negative.")


# --- People --------------------------------------------------------------------------------


class PeopleSearchForm(forms.Form):
    STATUS_CHOICES = [("", "Everyone"), ("active", "Active"), ("inactive", "Inactive")]

    q = forms.CharField(required=False, max_length=200, label="Search people")
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES, label="Status")


class PersonForm(forms.Form):
    """An admin's edit of a person. For people managed by SCIM the identity provider's
    attributes are shown disabled: Django then ignores whatever is posted for them."""

    def __init__(self, *args, person: User, editor: User, **kwargs) -> None:
        self.person = person
        self.editor = editor
        company = person.company
        kwargs.setdefault("initial", self._initial(person))
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(User, fields=LOCALLY_EDITABLE_FIELDS))
        self.fields["manager"].queryset = (
            User.objects.for_company(company).exclude(pk=person.pk).order_by("family_name", "given_name", "username")
        )
        for name, model in (("cost_centre", CostCentre), ("travel_policy", TravelPolicy)):
            # Archived entries are not offered, except the one the person already has.
            current = getattr(person, f"{name}_id")
            self.fields[name].queryset = model.objects.for_company(company).filter(
                Q(archived_at__isnull=True) | Q(pk=current)
            )
        self.fields["invoice_profiles"].queryset = InvoiceProfile.objects.for_company(company).filter(
            Q(archived_at__isnull=True) | Q(pk__in=[p.pk for p in self.initial.get("invoice_profiles", [])])
        )
        self.fields["date_of_birth"].widget = forms.DateInput(attrs={"type": "date"})
        editable = set(editable_fields_for(person))
        for name, field in self.fields.items():
            if name not in editable:
                field.disabled = True
                field.help_text = "Managed by your identity provider."

    @staticmethod
    def _initial(person: User) -> dict:
        initial = {f: getattr(person, f) for f in LOCALLY_EDITABLE_FIELDS if f != "invoice_profiles"}
        for fk in ("manager", "cost_centre", "travel_policy"):
            initial[fk] = getattr(person, f"{fk}_id")
        initial["invoice_profiles"] = list(person.invoice_profiles.all())
        return initial

    @property
    def idp_owned_fields(self) -> list[str]:
        return [f for f in self.fields if f in IDP_OWNED_FIELDS and self.fields[f].disabled]

    def clean(self) -> dict:
        data = super().clean()
        if self.person.pk == self.editor.pk:
            if "role" in data and data["role"] != User.Role.ADMIN:
                self.add_error("role", "You can't remove your own admin role; ask another admin.")
            if "is_active" in data and not data["is_active"]:
                self.add_error("is_active", "You can't deactivate yourself.")
        manager = data.get("manager")
        if manager is not None and not self.fields["manager"].disabled and self._would_cycle(manager):
            self.add_error(
                "manager", f"{manager} reports to {self.person}, directly or indirectly; that would be a loop."
            )
        return data

    def _would_cycle(self, manager: User) -> bool:
        seen: set = set()
        current = manager.pk
        while current is not None and current not in seen:
            if current == self.person.pk:
                return True
            seen.add(current)
            # Deleted people count too (company_id, not for_company): a loop through one is still a loop.
            current = (
                User.objects.filter(company_id=self.person.company_id, pk=current)
                .values_list("manager_id", flat=True)
                .first()
            )
        return False

    def changes(self) -> dict:
        """The cleaned values of the fields this admin may edit and did change: a field
        left as the page showed it is not written, so it can't undo a change made
        meanwhile (by a provisioning cycle, or another admin)."""
        editable = set(editable_fields_for(self.person))
        return {name: self.cleaned_data[name] for name in self.changed_data if name in editable}


# --- Groups --------------------------------------------------------------------------------


class GroupSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=256, label="Search groups")


class GroupPolicyForm(forms.Form):
    """What the portal owns of a group: its travel policy and its place in the policy order.
    Its name, externalId and members come from the identity provider and are not here."""

    travel_policy = forms.ModelChoiceField(
        queryset=TravelPolicy.objects.none(),
        required=False,
        empty_label="No travel policy",
        help_text="Applies to the members who have no travel policy of their own.",
    )
    policy_rank = forms.IntegerField(
        min_value=0,
        max_value=1_000_000,
        label="Policy order",
        help_text="When a person's groups carry several policies, the lowest order applies (then the group's name).",
    )

    def __init__(self, *args, group: Group, **kwargs) -> None:
        kwargs.setdefault("initial", {"travel_policy": group.travel_policy_id, "policy_rank": group.policy_rank})
        super().__init__(*args, **kwargs)
        # Archived policies are not offered, except the one the group already has.
        self.fields["travel_policy"].queryset = TravelPolicy.objects.filter(company_id=group.company_id).filter(
            Q(archived_at__isnull=True) | Q(pk=group.travel_policy_id)
        )


# --- Provisioning activity -----------------------------------------------------------------


class ActivityFilterForm(forms.Form):
    OUTCOME_CHOICES = [("", "Any outcome"), ("ok", "Succeeded"), ("error", "Failed")]
    PERIOD_CHOICES = [
        ("1", "Last 24 hours"),
        ("2", "Last 2 days"),
        ("7", "Last 7 days"),
        ("30", "Last 30 days"),
        ("90", "Last 90 days"),
    ]
    BUCKET_CHOICES = [("hour", "Per hour"), ("day", "Per day")]
    MAX_HOURLY_DAYS = 7

    operation = forms.ChoiceField(
        required=False, choices=[("", "Any operation"), *ProvisioningLogEntry.Operation.choices]
    )
    outcome = forms.ChoiceField(required=False, choices=OUTCOME_CHOICES)
    person = forms.CharField(required=False, max_length=254, label="Person (userName contains)")
    since = forms.DateTimeField(
        required=False, label="From (UTC)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    until = forms.DateTimeField(
        required=False, label="Until (UTC)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    period = forms.ChoiceField(required=False, choices=PERIOD_CHOICES, label="Chart period")
    bucket = forms.ChoiceField(required=False, choices=BUCKET_CHOICES, label="Chart resolution")

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "“Until” must be after “From”.")
        data["period"] = int(data.get("period") or 1)
        data["bucket"] = data.get("bucket") or ("hour" if data["period"] <= 2 else "day")
        if data["bucket"] == "hour" and data["period"] > self.MAX_HOURLY_DAYS:
            self.add_error("bucket", f"Per-hour charts cover at most {self.MAX_HOURLY_DAYS} days; choose “Per day”.")
        return data


# --- Approval processes -------------------------------------------------------------


class ProcessFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "All kinds"), *ApprovalProcess.Kind.choices], required=False)
    q = forms.CharField(required=False, max_length=100, label="Requester or approver")


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.username})"


class ProcessForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(
        choices=[(ApprovalProcess.Kind.MANUAL, "Manual"), (ApprovalProcess.Kind.DEFAULT, "Company default")],
        widget=forms.RadioSelect,
        initial=ApprovalProcess.Kind.MANUAL,
        help_text="The default process applies to everyone no other process covers.",
    )
    requesters = PeopleField(queryset=User.objects.none(), required=False, help_text="Whose trips this approves.")
    requester_groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.none(),
        required=False,
        help_text="Everyone in these groups, joining and leaving as their memberships change.",
    )
    step_1 = PeopleField(queryset=User.objects.none(), label="Step 1 approvers")
    step_2 = PeopleField(queryset=User.objects.none(), required=False, label="Step 2 approvers (optional)")
    step_3 = PeopleField(queryset=User.objects.none(), required=False, label="Step 3 approvers (optional)")

    def __init__(self, *args, company: Company, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.for_company(company).filter(is_active=True)
        for name in ("requesters", "step_1", "step_2", "step_3"):
            self.fields[name].queryset = people
            self.fields[name].widget.attrs["size"] = 8
        self.fields["requester_groups"].queryset = Group.objects.for_company(company)
        self.fields["requester_groups"].widget.attrs["size"] = 6

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("step_3") and not cleaned.get("step_2"):
            self.add_error("step_3", "Fill step 2 before step 3.")
        manual = cleaned.get("kind") == ApprovalProcess.Kind.MANUAL
        if manual and not cleaned.get("requesters") and not cleaned.get("requester_groups"):
            self.add_error("requesters", "A manual process needs at least one requester: a person or a group.")
        return cleaned

    @property
    def steps(self) -> list[list[User]]:
        return [list(self.cleaned_data[f"step_{n}"]) for n in (1, 2, 3) if self.cleaned_data.get(f"step_{n}")]

    @classmethod
    def initial_for(cls, process: ApprovalProcess) -> dict:
        initial = {
            "name": process.name,
            "kind": process.kind,
            "requesters": list(process.requesters.all()),
            "requester_groups": list(process.requester_groups.all()),
        }
        for step in process.steps.all():
            initial[f"step_{step.position}"] = list(step.approvers.all())
        return initial
