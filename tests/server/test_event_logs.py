"""server/event_logs.py: the brokers' log lines carry no words of a conversation."""
from __future__ import annotations

import rasa.core.brokers.pika
import rasa.shared.core.events
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

from server import event_logs


def test_the_logged_event_keeps_its_kind_and_time_but_no_words(monkeypatch):
    monkeypatch.setattr(rasa.shared.core.events, "remove_parse_data", rasa.shared.core.events.remove_parse_data)
    said = UserUttered("my name is Mary Smith and my legs went numb",
                       {"name": "emergency", "confidence": 1.0}).as_dict()
    phone = SlotSet("callback_phone", "212-736-5000").as_dict()
    reply = BotUttered("Thank you, Mary.", metadata={"utter_action": "utter_handoff"}).as_dict()
    assert "Mary" in str(rasa.shared.core.events.remove_parse_data(said))  # stock Rasa logs the words

    event_logs.install()
    for event in (said, phone, reply):
        logged = rasa.core.brokers.pika.rasa.shared.core.events.remove_parse_data(event)  # as the broker calls it
        assert logged["event"] == event["event"] and logged["timestamp"] == event["timestamp"]
        assert "Mary" not in str(logged) and "736" not in str(logged) and "numb" not in str(logged)
    assert event_logs.event_for_the_log(phone)["name"] == "callback_phone"
    assert said["text"].startswith("my name is")  # the event itself, published whole, is untouched
