"""The Django admin sees every workspace, so only platform operators (superusers) get in."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from kizuna.accounts.models import StaffUser
from kizuna.accounts.services import create_staff, create_workspace

pytestmark = pytest.mark.django_db


def test_workspace_staff_cannot_use_the_admin_even_with_model_permissions() -> None:
    mine = create_workspace("mine", "Mine")
    create_workspace("theirs", "Theirs")
    user, password = create_staff("agent@mine.example", mine.workspace, "support_agent")
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    assert client.login(email=user.email, password=password)

    response = client.get("/admin/customers/customer/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_operators_can_use_the_admin() -> None:
    StaffUser.objects.create_superuser("ops@kizuna.example", "a long operator password")
    client = Client()
    assert client.login(email="ops@kizuna.example", password="a long operator password")
    assert client.get("/admin/customers/customer/").status_code == 200
