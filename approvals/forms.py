from __future__ import annotations

from django import forms

from approvals.models import Trip
from travelportal.companies.models import User


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
