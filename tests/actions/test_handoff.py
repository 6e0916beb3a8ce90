"""The care-team contact comes from configuration."""
from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionCareTeamContact
from bot.settings import get_settings
from tests.actions.helpers import DOMAIN, run, slot_events, tracker


def test_care_team_contact_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CARE_TEAM_PHONE", "(212) 736-5000")
    monkeypatch.setenv("CARE_TEAM_HOURS", "Monday to Friday, 8 to 5")
    get_settings.cache_clear()
    try:
        dispatcher = CollectingDispatcher()
        events = run(ActionCareTeamContact().run(dispatcher, tracker(active_loop=None), DOMAIN))
    finally:
        get_settings.cache_clear()
    assert slot_events(events) == {"care_team_phone": "(212) 736-5000",
                                   "care_team_hours": "Monday to Friday, 8 to 5"}
    assert dispatcher.messages == []  # utter_handoff follows in the rule


def test_unset_configuration_uses_the_domain_wording(monkeypatch):
    monkeypatch.delenv("CARE_TEAM_PHONE", raising=False)
    monkeypatch.delenv("CARE_TEAM_HOURS", raising=False)
    get_settings.cache_clear()
    try:
        events = run(ActionCareTeamContact().run(CollectingDispatcher(), tracker(active_loop=None), DOMAIN))
    finally:
        get_settings.cache_clear()
    initial = {name: DOMAIN["slots"][name]["initial_value"] for name in ("care_team_phone", "care_team_hours")}
    assert slot_events(events) == initial
