"""The server-action registry: every action is complete, and both ends agree with it."""

from __future__ import annotations

import jsonschema
import pytest

from nimbostack.compute import policies
from nimbostack.compute.agent.manager import AgentManager
from nimbostack.compute.api.action_registry import ACTIONS, Receiver, ServerAction
from nimbostack.compute.api.server_actions import HANDLERS
from nimbostack.compute.conductor.manager import ConductorManager
from nimbostack.core.api.microversion import Version
from nimbostack.core.rpc import Message, handler_names

RECEIVERS = {Receiver.AGENT: AgentManager, Receiver.CONDUCTOR: ConductorManager}
VERSIONS = [Version(2, 1), Version(2, 96)]


def test_the_api_dispatches_exactly_the_registered_actions() -> None:
    assert sorted(HANDLERS) == sorted(ACTIONS)


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_every_action_has_a_registered_rule(name: str) -> None:
    registered = {rule.name for rule in policies.rules()}
    assert ACTIONS[name].rule in registered


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_every_action_has_a_valid_schema(name: str) -> None:
    for version in VERSIONS:
        jsonschema.Draft202012Validator.check_schema(ACTIONS[name].schema_for(version))


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_every_sent_message_has_a_handler_where_it_goes(name: str) -> None:
    action: ServerAction = ACTIONS[name]
    if action.receiver is Receiver.API:
        assert action.message is None
        return
    assert action.message is not None and issubclass(action.message, Message)
    handled = handler_names(RECEIVERS[action.receiver])
    assert action.message in handled, f"{action.receiver.value} has no handler for {name}"
