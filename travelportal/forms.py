"""What every app's forms share: showing a domain function's refusal on the form it came from."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a domain function's ``ValidationError`` on ``form``, after ``is_valid()``: a message
    keyed by one of the form's fields goes to that field; every other message (no key,
    ``__all__``, or a model field the form doesn't show) goes to the form's non-field errors."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.error_list)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)
