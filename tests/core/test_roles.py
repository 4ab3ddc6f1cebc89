from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_setup_roles_creates_three_groups_and_is_idempotent():
    call_command("setup_roles", stdout=StringIO())
    first = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    call_command("setup_roles", stdout=StringIO())
    second = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    assert set(first) == {"Admin", "Moderator", "User"}
    assert first == second
    assert Group.objects.count() == 3


def test_admin_group_has_every_permission_and_moderator_no_configuration(roles):
    from django.contrib.auth.models import Permission

    assert roles["Admin"].permissions.count() == Permission.objects.count()
    moderator = set(roles["Moderator"].permissions.values_list("content_type__app_label", flat=True))
    assert moderator <= {"feedback", "alerts", "incidents"}  # incidents: SPEC section 10
    assert not roles["Moderator"].permissions.filter(codename__contains="apikey").exists()


def test_an_end_user_cannot_reach_the_admin(client_for, uma):
    response = client_for(uma).get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_status_is_for_admins_only(client, client_for, alice, mo):
    assert client.get("/status").status_code == 302
    assert client_for(mo).get("/status").status_code == 403
    response = client_for(alice).get("/status")
    assert response.status_code == 200
    body = response.json()
    assert {"version", "pending_migrations", "queue_depth", "scheduled_runs", "row_counts"} <= set(body)
    assert body["pending_migrations"] == []
    assert body["row_counts"]["monitoring_site.ApiKey"] == 0
