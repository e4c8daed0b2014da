from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models

from kizuna.core.clock import now
from kizuna.core.models import TenantModel, Workspace


class StaffUserManager(BaseUserManager["StaffUser"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "StaffUser":
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **extra: Any
    ) -> "StaffUser":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class StaffUser(AbstractBaseUser, PermissionsMixin):
    """A person who works in the console: marketer, support agent, analyst... Roles are per
    workspace (Membership). Passwords are hashed with Argon2."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True, default="")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin site.")
    date_joined = models.DateTimeField(default=now)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = StaffUserManager()

    def __str__(self) -> str:
        return self.email


class Role(models.TextChoices):
    OWNER = "owner"
    ADMIN = "admin"
    MARKETER = "marketer"
    SUPPORT_AGENT = "support_agent"
    ANALYST = "analyst"
    VIEWER = "viewer"


class Membership(TenantModel):
    user = models.ForeignKey(StaffUser, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace_id} as {self.role}"


class ApiKey(TenantModel):
    """A workspace's API key. Only a SHA-256 of the secret is kept; the secret is shown once."""

    class Kind(models.TextChoices):
        SERVER = "server"
        PUBLISHABLE = "publishable"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognise a key.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.kind})"


class SignInLockout(models.Model):
    """A staff sign-in lock-out: an account (by email) or a client address that failed to
    sign in too often, refused until `locked_until` or until an owner lifts it
    (`manage.py unlock_staff`). Kept when lifted or over, as a record."""

    class Kind(models.TextChoices):
        ACCOUNT = "account"
        ADDRESS = "address"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The email, lower-cased (whether or not a staff user has it), or the client address.
    subject = models.CharField(max_length=254)
    failures = models.PositiveIntegerField()
    locked_at = models.DateTimeField(default=now)
    locked_until = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=254, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["kind", "subject", "locked_until"], name="signin_lockout_active"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} until {self.locked_until:%Y-%m-%d %H:%M}"


__all__ = ["ApiKey", "Membership", "Role", "SignInLockout", "StaffUser", "Workspace"]
