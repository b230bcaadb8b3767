from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from travelportal.forms import add_service_errors


class TripForm(forms.Form):
    destination = forms.CharField()
    nights = forms.IntegerField()


def validated_form() -> TripForm:
    form = TripForm({"destination": "Lisbon", "nights": "3"})
    assert form.is_valid()
    return form


def test_a_field_error_goes_to_its_field():
    form = validated_form()

    add_service_errors(form, ValidationError({"nights": ValidationError("Too many nights.", code="max_nights")}))

    assert form.errors == {"nights": ["Too many nights."]}
    assert form.non_field_errors() == []
    assert form.errors.as_data()["nights"][0].code == "max_nights"
    assert "nights" not in form.cleaned_data
    assert form.cleaned_data["destination"] == "Lisbon"
    assert not form.is_valid()


def test_each_field_gets_its_own_messages():
    form = validated_form()

    add_service_errors(form, ValidationError({"destination": ["Not served.", "Not this week."], "nights": "Too many."}))

    assert form.errors == {"destination": ["Not served.", "Not this week."], "nights": ["Too many."]}


def test_a_message_without_a_field_goes_to_the_form():
    form = validated_form()

    add_service_errors(form, ValidationError("The travel policy doesn't allow this trip.", code="policy"))

    assert form.errors == {NON_FIELD_ERRORS: ["The travel policy doesn't allow this trip."]}
    assert form.non_field_errors() == ["The travel policy doesn't allow this trip."]
    assert form.non_field_errors().as_data()[0].code == "policy"
    assert form.cleaned_data == {"destination": "Lisbon", "nights": 3}


def test_a_list_of_messages_goes_to_the_form():
    form = validated_form()

    add_service_errors(form, ValidationError(["First problem.", "Second problem."]))

    assert form.non_field_errors() == ["First problem.", "Second problem."]
    assert set(form.errors) == {NON_FIELD_ERRORS}


def test_messages_keyed_by_all_or_by_a_field_the_form_lacks_go_to_the_form():
    form = validated_form()

    add_service_errors(
        form,
        ValidationError(
            {
                NON_FIELD_ERRORS: "Names must be unique.",
                "company": "It must belong to the same company.",
                "nights": "No.",
            }
        ),
    )

    assert form.non_field_errors() == ["Names must be unique.", "It must belong to the same company."]
    assert form.errors["nights"] == ["No."]
    assert set(form.errors) == {NON_FIELD_ERRORS, "nights"}


def test_messages_with_params_are_shown_formatted():
    form = validated_form()

    add_service_errors(
        form, ValidationError({"nights": ValidationError("At most %(limit)s nights.", params={"limit": 14})})
    )

    assert form.errors["nights"] == ["At most 14 nights."]
