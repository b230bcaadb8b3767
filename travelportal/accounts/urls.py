from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from travelportal.accounts.forms import ResetPasswordForm, SignInForm
from travelportal.accounts.saml import views as saml_views

app_name = "accounts"

# Django's form views treat PUT as POST; these pages only know GET and POST.
FORM_METHODS = ["get", "post", "head", "options"]

urlpatterns = [
    # LoginView only follows a "next" that stays on this host (url_has_allowed_host_and_scheme).
    path("login/", auth_views.LoginView.as_view(form_class=SignInForm, http_method_names=FORM_METHODS), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("sso/", saml_views.sso_start, name="sso_start"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=ResetPasswordForm,
            success_url=reverse_lazy("accounts:password_reset_done"),
            email_template_name="registration/password_reset_email.txt",
            http_method_names=FORM_METHODS,
        ),
        name="password_reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts:password_reset_complete"), http_method_names=FORM_METHODS
        ),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
