"""action_session_start fills the care-team contact from configuration."""
from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.session import ActionSessionStart
from bot.settings import get_settings
from tests.actions.helpers import run, DOMAIN, slot_events, tracker


def test_care_team_contact_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CARE_TEAM_PHONE", "(212) 736-5000")
    monkeypatch.setenv("CARE_TEAM_HOURS", "Monday to Friday, 8 to 5")
    get_settings.cache_clear()
    try:
        events = run(ActionSessionStart().run(CollectingDispatcher(), tracker(active_loop=None), DOMAIN))
    finally:
        get_settings.cache_clear()
    assert events[0]["event"] == "session_started"
    assert slot_events(events) == {"care_team_phone": "(212) 736-5000",
                                   "care_team_hours": "Monday to Friday, 8 to 5"}
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
