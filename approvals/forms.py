from __future__ import annotations

from django import forms

from approvals.models import ApprovalProcess, Trip
from travelportal.companies.models import Company, Group, User


class TripForm(forms.Form):
    traveller = forms.ModelChoiceField(queryset=User.objects.none(), required=False, help_text="Who travels.")
    destination = forms.CharField(max_length=200)
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    purpose = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    estimated_cost = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    currency = forms.CharField(max_length=3, min_length=3, initial="EUR", help_text="ISO 4217 code, e.g. EUR.")
    flight_cabin = forms.ChoiceField(choices=[("", "No flight"), *Trip.Cabin.choices], required=False)
    hotel_price_per_night = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)

    def __init__(self, *args, requester: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if requester.is_company_admin:
            self.fields["traveller"].queryset = User.objects.for_company(requester.company).filter(is_active=True)
            self.fields["traveller"].required = True
            self.fields["traveller"].initial = requester.pk
        else:
            del self.fields["traveller"]

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The trip can't end before it starts.")
        return cleaned


class DecisionForm(forms.Form):
    step = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


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
