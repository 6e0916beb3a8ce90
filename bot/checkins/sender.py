"""Starting a check-in turn through Rasa's HTTP API.

`POST /conversations/<id>/trigger_intent?output_channel=<channel>` runs the
external intent on the patient's own conversation (twilio:+1..., telegram:<chat>)
and sends the replies through that platform's output channel, so the check-in is
an ordinary turn and the patient's answer continues it. The tracker tells
whether a trigger arrived: a scheduler that died between sending and recording
it asks Rasa instead of guessing.
"""
from __future__ import annotations

from typing import Any, Dict
from urllib.parse import quote

import requests

INTENT = "EXTERNAL_checkin"


class RasaUnreachable(Exception):
    """The request never reached Rasa: nothing was sent, the check-in may go again."""


class RasaTrigger:
    def __init__(self, rasa_url: str, token: str, timeout: float = 60.0) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.session = requests.Session()

    def _url(self, conversation_id: str, tail: str) -> str:
        # Rasa's routes take the id as it stands in the path: ':' and '+' (twilio:+1...)
        # are kept, not percent-encoded, or Rasa would read another conversation
        return f"{self.rasa_url}/conversations/{quote(conversation_id, safe=':+')}/{tail}"

    def send(self, conversation_id: str, output_channel: str, checkin_id: int, day: int,
             reminder: bool = False) -> None:
        """Raises RasaUnreachable when Rasa was not reached, another error when the
        outcome is unknown (a timeout, a 5xx: the turn may have run)."""
        entities: Dict[str, Any] = {"checkin_id": str(checkin_id), "checkin_day": str(day)}
        if reminder:
            entities["checkin_reminder"] = "yes"
        try:
            response = self.session.post(
                self._url(conversation_id, "trigger_intent"),
                params={"output_channel": output_channel, "token": self.token},
                json={"name": INTENT, "entities": entities}, timeout=self.timeout)
        except requests.ConnectionError as error:
            raise RasaUnreachable(str(error)) from error
        response.raise_for_status()

    def delivered(self, conversation_id: str, checkin_id: int) -> bool:
        """True when the conversation holds the trigger of this check-in."""
        response = self.session.get(self._url(conversation_id, "tracker"),
                                    params={"token": self.token}, timeout=self.timeout)
        response.raise_for_status()
        for event in response.json().get("events") or []:
            parse = event.get("parse_data") or {}
            if event.get("event") == "user" and (parse.get("intent") or {}).get("name") == INTENT:
                if any(e.get("entity") == "checkin_id" and str(e.get("value")) == str(checkin_id)
                       for e in parse.get("entities") or []):
                    return True
        return False
