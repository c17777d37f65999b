"""Machine services used by the dashboard and the Dodo layer: activation_update, activation_deactivate."""

import pytest

from licensing.models import Activation
from licensing.services.activation import activation_deactivate, activation_update
from project.errors import DomainError
from tests.licensing.factories import ActivationFactory, LicenseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("client_cache_mode")]


@pytest.fixture
def machine(member):
    return ActivationFactory(license=LicenseFactory(assignee=member), name="old name")


def test_rename_a_machine(machine):
    activation_update(activation=machine, name="  build server  ")

    machine.refresh_from_db()
    assert machine.name == "build server"


def test_a_too_long_name_is_refused_and_nothing_changes(machine):
    with pytest.raises(DomainError) as error:
        activation_update(activation=machine, name="n" * 151)

    assert error.value.field == "name"
    machine.refresh_from_db()
    assert machine.name == "old name"


def test_deactivate_a_machine(machine):
    activation_deactivate(activation=machine)

    assert not Activation.objects.filter(pk=machine.pk).exists()


def test_the_assignee_may_release_their_own_machine(machine, member):
    activation_deactivate(activation=machine, actor=member)

    assert not Activation.objects.exists()


def test_a_plain_member_may_not_release_someone_elses_machine(machine, make_member, workspace):
    other = make_member(workspace)

    with pytest.raises(DomainError) as error:
        activation_deactivate(activation=machine, actor=other)

    assert error.value.kind == "forbidden"
    assert Activation.objects.filter(pk=machine.pk).exists()


def test_an_admin_may_release_any_machine_of_the_workspace(machine, admin):
    activation_update(activation=machine, name="renamed", actor=admin)
    activation_deactivate(activation=machine, actor=admin)

    assert not Activation.objects.exists()


def test_another_workspace_gets_not_found(machine, outsider):
    with pytest.raises(DomainError) as error:
        activation_deactivate(activation=machine, actor=outsider)

    assert error.value.code == "NOT_FOUND"
    assert Activation.objects.filter(pk=machine.pk).exists()


def test_a_member_releasing_a_machine_is_in_their_workspace_s_security_log(machine, admin):
    from authtokens.models import SecurityEvent

    activation_deactivate(activation=machine, actor=admin)

    [event] = SecurityEvent.objects.filter(detail__contains=machine.public_id)
    assert event.workspace_id == admin.workspace_id
    assert (event.action, event.get_action_display()) == ("machine_deactivated", "Machine deactivated")
    assert (event.actor, event.actor_label) == (admin.user, "admin@acme.test")


def test_a_machine_released_by_keyward_itself_is_logged_without_a_member(machine):
    from authtokens.models import SecurityEvent

    activation_deactivate(activation=machine)

    [event] = SecurityEvent.objects.filter(detail__contains=machine.public_id)
    assert (event.workspace_id, event.action) == (machine.license.workspace_id, "machine_deactivated")
    assert (event.actor, event.actor_label) == (None, "Keyward")
