"""The staff sign-in form of the admin site, saying so when a lock-out refuses a sign-in."""

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from kizuna.accounts import services
from kizuna.core.http import client_address


class StaffSignInForm(AdminAuthenticationForm):
    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        if email and self.cleaned_data.get("password"):
            address = client_address(self.request) if self.request is not None else None
            lockout = services.sign_in_lockout(email, address)
            if lockout is not None:
                minutes = -(-lockout.seconds_left // 60)
                raise ValidationError(
                    "Too many failed sign-ins for this account or from this address. Try "
                    f"again in {minutes} minutes, or ask an owner to lift the lock-out.",
                    code="locked_out",
                )
        return super().clean()
