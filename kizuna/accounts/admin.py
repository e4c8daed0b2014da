from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from kizuna.accounts import services
from kizuna.accounts.models import ApiKey, Membership, SignInLockout, StaffUser


@admin.register(StaffUser)
class StaffUserAdmin(admin.ModelAdmin[StaffUser]):
    list_display = ("email", "full_name", "is_active", "is_staff", "date_joined")
    search_fields = ("email", "full_name")
    exclude = ("password",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "workspace", "role")
    list_filter = ("role",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    list_display = ("prefix", "workspace", "kind", "name", "created_at", "last_used_at")
    readonly_fields = ("key_hash", "prefix")


@admin.register(SignInLockout)
class SignInLockoutAdmin(admin.ModelAdmin[SignInLockout]):
    list_display = ("kind", "subject", "failures", "locked_at", "locked_until", "lifted_at")
    list_filter = ("kind",)
    search_fields = ("subject",)
    readonly_fields = (
        "kind",
        "subject",
        "failures",
        "locked_at",
        "locked_until",
        "lifted_at",
        "lifted_by",
    )
    actions = ["lift"]

    @admin.action(description="Lift the selected lock-outs")
    def lift(self, request: HttpRequest, queryset: QuerySet[SignInLockout]) -> None:
        by = str(getattr(request.user, "email", "admin"))
        for lockout in queryset:
            if lockout.kind == SignInLockout.Kind.ACCOUNT:
                services.lift_lockouts(email=lockout.subject, by=by)
            else:
                services.lift_lockouts(address=lockout.subject, by=by)
