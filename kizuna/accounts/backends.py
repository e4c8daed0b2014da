"""Staff sign-in: Django's model backend behind the sign-in throttle (ADR 0019). Every sign-in
goes through `authenticate()`, so the admin's form, and the console's later, are throttled
alike."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from kizuna.accounts import services
from kizuna.accounts.models import StaffUser
from kizuna.core.http import client_address


class ThrottledModelBackend(ModelBackend):
    """A locked-out account or address is refused before its password is checked (Django's
    `authenticate()` stops at PermissionDenied); a wrong password counts a failure."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        email = username if username is not None else kwargs.get(StaffUser.USERNAME_FIELD)
        if email is None or password is None:
            return None
        address = client_address(request) if request is not None else None
        if services.sign_in_lockout(email, address) is not None:
            raise PermissionDenied("Too many failed sign-ins.")
        user = super().authenticate(request, username=email, password=password, **kwargs)
        if user is None:
            services.record_failed_sign_in(email, address)
        else:
            services.record_sign_in(email)
        return user
