from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db.models import Q

from travelportal.accounts.saml.policy import password_sign_in_refused
from travelportal.accounts.throttling import password_reset_allowed
from travelportal.client_addresses import client_address
from travelportal.companies.models import User


class SignInForm(AuthenticationForm):
    # The userName Entra provisions is the person's email address (or UPN, which reads
    # like one), so people are asked for their email; the field keeps the name axes and
    # the backend read.
    username = forms.CharField(
        label="Email",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "inputmode": "email"}),
    )
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    error_messages = {
        # One message for every failure, so the page does not reveal which emails exist
        # or which people are deactivated.
        "invalid_login": "That email and password don't match an account that can sign in.",
        "inactive": "That email and password don't match an account that can sign in.",
        "sso_required": "Your company signs in with single sign-on: use “Sign in with SSO”.",
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        # Checked after the password, so the message tells nothing to someone without it.
        if password_sign_in_refused(user):
            raise forms.ValidationError(self.error_messages["sso_required"], code="sso_required")


class ResetPasswordForm(PasswordResetForm):
    def get_users(self, email: str):
        """Live, active people whose work email or userName is ``email`` (any case).

        Unlike Django's default, people without a usable password are included: people
        provisioned by SCIM start without one, and this is how they choose it.
        """
        email = email.strip()
        people = (
            User.objects.live().filter(is_active=True).filter(Q(work_email__iexact=email) | Q(username__iexact=email))
        )
        return iter(people)

    def save(self, *args, request=None, **kwargs) -> None:
        # Over a limit nothing is sent, and PasswordResetView answers with the same
        # "check your email" page as for any other address.
        ip_address = client_address(request) if request is not None else None
        if password_reset_allowed(email=self.cleaned_data["email"], ip_address=ip_address):
            super().save(*args, request=request, **kwargs)

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        # Django sends to the EMAIL_FIELD (work_email); a person matched by userName
        # alone has none, and their userName is their address.
        to_email = to_email or context["user"].username
        context["email"] = to_email
        super().send_mail(subject_template_name, email_template_name, context, from_email, to_email, **kwargs)
