"""Who reaches Company Settings: signed-in company admins, and only for their own company."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def company_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the sign-in page; signed-in people who are not an admin of
    a company get 403. The admin's company is passed to the view as ``company`` so every
    lookup in the view starts from it (another company's objects are then simply not found)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_company_admin:
            raise PermissionDenied("Only company admins can open Company Settings.")
        return view(request, *args, company=request.user.company, **kwargs)

    return wrapper
