"""What Rasa's event brokers write to the log about an event: never what was said.

Rasa's RabbitMQ and Kafka brokers log each event they publish (at debug) and
each one they fail to publish (at error) as `remove_parse_data(event)`: a deep
copy of the event without its parse data, which still holds the patient's
words (`text`), a slot's value (a phone number) and the bot's reply. A
conversation is health data and stays out of application logs, so the logged
version keeps only what an operator needs to follow the broker: the event's
kind, time and action or slot name. It is also no longer a deep copy of every
event (2.6% of a turn in the production set-up, for a log line that is off).
"""
from __future__ import annotations

from typing import Any, Dict, Text

import rasa.shared.core.events

LOGGED_KEYS = ("event", "timestamp", "name")


def event_for_the_log(event: Dict[Text, Any]) -> Dict[Text, Any]:
    return {key: event[key] for key in LOGGED_KEYS if key in event}


def install() -> None:
    # the brokers call it through the module (rasa.shared.core.events.remove_parse_data)
    rasa.shared.core.events.remove_parse_data = event_for_the_log
