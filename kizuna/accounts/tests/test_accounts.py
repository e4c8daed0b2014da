"""The operations commands: create_workspace prints working keys (stored hashed), and
create_staff prints a password that signs in (stored as an Argon2 hash)."""

import hashlib
import json
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import Client

from kizuna.accounts.errors import InvalidRole
from kizuna.accounts.models import ApiKey, Membership, Role, StaffUser
from kizuna.accounts.services import create_staff, create_workspace
from kizuna.core.models import Workspace

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def new_workspace(slug: str = "acme", *extra: str) -> dict[str, Any]:
    output = run("create_workspace", slug, *extra)
    lines = output.splitlines()
    assert len(lines) == 1, output
    return json.loads(lines[0])


def test_create_workspace_prints_one_json_line_with_both_keys() -> None:
    printed = new_workspace("acme", "--name", "Acme Tea")
    assert set(printed) == {"workspace", "server_key", "publishable_key"}
    assert printed["workspace"] == "acme"
    assert printed["server_key"].startswith("sk_")
    assert printed["publishable_key"].startswith("pk_")
    assert len(printed["server_key"]) == len(printed["publishable_key"]) == 43
    assert printed["server_key"][3:] != printed["publishable_key"][3:]
    workspace = Workspace.objects.get(slug="acme")
    assert workspace.name == "Acme Tea"
    kinds = sorted(ApiKey.objects.filter(workspace=workspace).values_list("kind", flat=True))
    assert kinds == ["publishable", "server"]


def test_the_name_defaults_to_the_slug() -> None:
    new_workspace("plain-shop")
    assert Workspace.objects.get(slug="plain-shop").name == "plain-shop"


def test_the_printed_keys_work() -> None:
    printed = new_workspace()
    server = Client(headers={"Authorization": f"Bearer {printed['server_key']}"})
    created = server.put(
        "/api/v1/customers/c-1", data={"first_name": "Ann"}, content_type="application/json"
    )
    assert created.status_code == 201
    listed = server.get("/api/v1/customers")
    assert listed.status_code == 200
    assert [c["external_id"] for c in json.loads(listed.content)["data"]] == ["c-1"]
    # The publishable key is a real key (a wrong one would be 401) limited to browser calls.
    browser = Client(headers={"Authorization": f"Bearer {printed['publishable_key']}"})
    refused = browser.get("/api/v1/customers")
    assert refused.status_code == 403
    assert json.loads(refused.content)["code"] == "server_key_required"
    wrong = Client(headers={"Authorization": f"Bearer {printed['server_key']}x"})
    assert wrong.get("/api/v1/customers").status_code == 401


def test_keys_of_two_workspaces_see_their_own_workspace() -> None:
    first = new_workspace("first")
    second = new_workspace("second")
    Client(headers={"Authorization": f"Bearer {first['server_key']}"}).put(
        "/api/v1/customers/only-first", data={}, content_type="application/json"
    )
    listed = Client(headers={"Authorization": f"Bearer {second['server_key']}"}).get(
        "/api/v1/customers"
    )
    assert json.loads(listed.content)["data"] == []


def test_keys_are_stored_hashed() -> None:
    printed = new_workspace()
    secrets = {printed["server_key"], printed["publishable_key"]}
    rows = list(ApiKey.objects.filter(workspace__slug="acme").values())
    assert len(rows) == 2
    for row in rows:
        for value in row.values():
            for secret in secrets:
                assert secret not in str(value)
    hashes = {row["key_hash"] for row in rows}
    assert hashes == {hashlib.sha256(s.encode()).hexdigest() for s in secrets}
    prefixes = {row["prefix"] for row in rows}
    assert prefixes == {s[:10] for s in secrets}
    # Nor anywhere else in the database.
    for model in apps.get_models():
        for row in model.objects.values():  # type: ignore[attr-defined]
            text = str(row)
            assert not any(secret[10:] in text for secret in secrets), model


def test_create_workspace_refuses_a_taken_slug() -> None:
    new_workspace("taken")
    with pytest.raises(CommandError) as caught:
        run("create_workspace", "taken")
    assert str(caught.value) == "A workspace 'taken' exists already."
    assert Workspace.objects.filter(slug="taken").count() == 1
    assert ApiKey.objects.count() == 2


@pytest.mark.parametrize("slug", ["has space", "ünï", "semi;colon", ""])
def test_create_workspace_refuses_a_bad_slug(slug: str) -> None:
    with pytest.raises(CommandError, match="letters, digits, hyphens and underscores"):
        run("create_workspace", slug)
    assert Workspace.objects.count() == 0
    assert ApiKey.objects.count() == 0


# ---------------------------------------------------------------- staff


def new_staff(email: str = "ann@example.com", role: str = "marketer") -> tuple[str, str]:
    output = run("create_staff", email, "--workspace", "acme", "--role", role)
    lines = output.splitlines()
    assert len(lines) == 1, output
    printed_email, password = lines[0].split(" ")
    return printed_email, password


def test_create_staff_prints_a_password_that_signs_in() -> None:
    new_workspace()
    email, password = new_staff()
    assert email == "ann@example.com"
    assert len(password) >= 20
    user = authenticate(email="ann@example.com", password=password)
    assert user is not None
    assert user.pk == StaffUser.objects.get(email="ann@example.com").pk
    assert authenticate(email="ann@example.com", password=password + "x") is None
    assert authenticate(email="ann@example.com", password="") is None


def test_the_staff_user_has_the_role_in_the_workspace() -> None:
    new_workspace()
    new_staff("bo@example.com", "support_agent")
    membership = Membership.objects.select_related("user", "workspace").get()
    assert membership.user.email == "bo@example.com"
    assert membership.workspace.slug == "acme"
    assert membership.role == Role.SUPPORT_AGENT
    assert membership.user.is_active is True
    assert membership.user.is_staff is False
    assert membership.user.is_superuser is False


def test_passwords_are_hashed_with_argon2() -> None:
    new_workspace()
    _, password = new_staff()
    stored = StaffUser.objects.get(email="ann@example.com").password
    assert stored.startswith("argon2$argon2id$")
    assert password not in stored


def test_each_staff_user_gets_a_different_password() -> None:
    new_workspace()
    _, first = new_staff("a@example.com")
    _, second = new_staff("b@example.com")
    assert first != second


@pytest.mark.parametrize("role", ["superhero", "Owner", "", "support agent"])
def test_create_staff_refuses_an_invalid_role(role: str) -> None:
    new_workspace()
    with pytest.raises(CommandError, match="invalid choice"):
        run("create_staff", "ann@example.com", "--workspace", "acme", "--role", role)
    assert StaffUser.objects.count() == 0
    assert Membership.objects.count() == 0


def test_the_service_refuses_an_invalid_role_too() -> None:
    keys = create_workspace("acme")
    with pytest.raises(InvalidRole) as caught:
        create_staff("ann@example.com", keys.workspace, "superhero")
    assert caught.value.code == "invalid_role"
    assert caught.value.field == "role"
    assert StaffUser.objects.count() == 0


@pytest.mark.parametrize("role", Role.values)
def test_every_role_is_accepted(role: str) -> None:
    new_workspace()
    new_staff(f"{role}@example.com", role)
    assert Membership.objects.get().role == role


def test_create_staff_refuses_an_unknown_workspace() -> None:
    with pytest.raises(CommandError) as caught:
        run("create_staff", "ann@example.com", "--workspace", "nowhere", "--role", "viewer")
    assert str(caught.value) == "No workspace 'nowhere'."
    assert StaffUser.objects.count() == 0


def test_create_staff_refuses_a_taken_email() -> None:
    new_workspace()
    _, password = new_staff()
    with pytest.raises(CommandError) as caught:
        run("create_staff", "ann@example.com", "--workspace", "acme", "--role", "viewer")
    assert str(caught.value) == "A staff user 'ann@example.com' exists already."
    assert StaffUser.objects.count() == 1
    assert Membership.objects.get().role == "marketer"
    assert authenticate(email="ann@example.com", password=password) is not None


def test_a_key_is_looked_up_once_then_served_from_the_cache(
    django_assert_num_queries: Any,
) -> None:
    printed = new_workspace()
    server = Client(headers={"Authorization": f"Bearer {printed['server_key']}"})
    assert server.get("/api/v1/customers").status_code == 200  # the key is looked up
    # The list (one query for the page) and no query for the key.
    with django_assert_num_queries(1):
        assert server.get("/api/v1/customers").status_code == 200


def test_revoke_api_key_refuses_the_key_at_once() -> None:
    printed = new_workspace()
    server = Client(headers={"Authorization": f"Bearer {printed['server_key']}"})
    assert server.get("/api/v1/customers").status_code == 200  # now cached
    out = run("revoke_api_key", printed["server_key"][:10], "--workspace", "acme")
    assert out.strip() == f"revoked {printed['server_key'][:10]}… (server)"
    refused = server.get("/api/v1/customers")
    assert refused.status_code == 401
    assert json.loads(refused.content)["code"] == "invalid_api_key"
    with pytest.raises(CommandError, match="No live key"):
        run("revoke_api_key", printed["server_key"][:10], "--workspace", "acme")
