"""server/turn_costs.py: the same answers as Rasa's own checks, built once."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg import interpolator
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from server import turn_costs

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "age", "value": 71}],
     "responses": [{"response": "utter_ask_age"}, {"text": "hello", "buttons": []}]},
    {},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"name": "age"}]},  # an event without its type
    {"responses": [42]},
]


def rasa_validate(result):
    return jsonschema.validate(result, RemoteAction.action_response_format_spec())


@pytest.mark.parametrize("result", VALID)
def test_a_valid_action_response_passes_as_with_rasa(result):
    rasa_validate(result)
    assert turn_costs._validate_action_result(RemoteAction("action_x", None), result) is True


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_action_response_fails_as_with_rasa(result):
    with pytest.raises(jsonschema.ValidationError) as rasa_error:
        rasa_validate(result)
    with pytest.raises(jsonschema.ValidationError) as ours:
        turn_costs._validate_action_result(RemoteAction("action_x", None), result)
    assert ours.value.message.startswith(rasa_error.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_every_event_type_resolves_to_the_class_rasa_finds():
    table = turn_costs.EventTypes()
    for cls in all_subclasses(Event):
        assert table.resolve(cls.type_name) is turn_costs._original_resolve_by_type(cls.type_name)
    assert table.resolve("user") is UserUttered
    assert table.resolve("slot") is SlotSet
    assert table.resolve("action") is ActionExecuted


def test_unknown_names_behave_as_in_rasa():
    table = turn_costs.EventTypes()
    assert table.resolve("topic") is None
    assert table.resolve("no such event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError):
        table.resolve("no such event")


def test_an_event_class_defined_after_the_table_is_found():
    table = turn_costs.EventTypes()
    table.resolve("user")  # the table is built

    class LateEvent(SlotSet):
        type_name = "late_event_for_this_test"

    assert table.resolve("late_event_for_this_test") is LateEvent


@pytest.fixture
def installed(monkeypatch):
    """install(), undone after the test (monkeypatch restores what it saw first)."""
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(Event, "resolve_by_type", Event.resolve_by_type)
    monkeypatch.setattr(interpolator, "interpolate_text", interpolator.interpolate_text)
    return turn_costs.install


def test_installed_it_reads_a_tracker_back_the_same(installed):
    events = [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet", "confidence": 1.0}),
              SlotSet("age", 71)]
    before = [Event.from_parameters(event.as_dict()) for event in events]
    installed()
    after = [Event.from_parameters(event.as_dict()) for event in events]
    assert after == before == events


def test_a_buttons_intent_payload_is_kept_without_a_logged_error(installed, monkeypatch):
    logged = []
    monkeypatch.setattr(interpolator.structlogger, "exception", lambda *a, **k: logged.append(a))
    button = {"title": "Cancer", "payload": '/inform{"choice": "cancer"}'}
    assert interpolator.interpolate(dict(button), {"name": "Ann"}) == button
    assert logged, "stock Rasa logs an error for it"

    logged.clear()
    installed()
    assert interpolator.interpolate(dict(button), {"name": "Ann"}) == button
    assert interpolator.interpolate({"text": "Thank you, {name}."}, {"name": "Ann"}) == {"text": "Thank you, Ann."}
    assert logged == []
