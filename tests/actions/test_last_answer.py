"""The source passage and "was this helpful?" for the answer a request is about:
typed (the latest catalogue answer) or a platform button (the answer it sits under)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, select

from actions.feedback import ActionRecordFeedback
from actions.sources import ActionShowSource
from bot.db.models import AnswerFeedback
from tests.actions.helpers import DOMAIN, run, uttered

RECOVERY_TS, RISKS_TS = 1764550000.123456, 1764550060.654321


def bot_event(utter_action: str, timestamp: float) -> Dict[str, Any]:
    return {"event": "bot", "text": "...", "timestamp": timestamp, "metadata": {"utter_action": utter_action}}


def after_answers(text: str, intent: str, entities: Optional[List[Dict[str, Any]]] = None) -> Tracker:
    """A conversation that was given two catalogue answers and a chitchat reply."""
    events = [bot_event("utter_recovery/timeline", RECOVERY_TS), bot_event("utter_risks/overview", RISKS_TS),
              bot_event("utter_chitchat/thanks", RISKS_TS + 5),
              {"event": "user", "text": text, "input_channel": "telegram", "parse_data": {"intent": {"name": intent}}}]
    slots = {name: None for name in DOMAIN["slots"]}
    return Tracker("telegram:42", slots, {"text": text, "intent": {"name": intent}, "entities": entities or []},
                   events, False, None, {}, "action_listen")


def passages(utter_action: str) -> List[str]:
    return DOMAIN_RESPONSES[utter_action][0]["metadata"]["source"]


def shown(dispatcher: CollectingDispatcher) -> Dict[str, Any]:
    [message] = dispatcher.messages
    return message


def domain_with_catalogue() -> Dict[str, Any]:
    """The domain as Rasa sends it to the action server: the catalogue responses included."""
    import yaml

    from tests.project import RESPONSES_FILE
    responses = yaml.safe_load(RESPONSES_FILE.read_text())["responses"]
    return {**DOMAIN, "responses": {**DOMAIN["responses"], **responses}}


DOMAIN_RESPONSES = domain_with_catalogue()["responses"]


def test_typed_where_does_that_come_from_quotes_the_latest_answer_not_the_chitchat():
    dispatcher = CollectingDispatcher()
    run(ActionShowSource().run(dispatcher, after_answers("where does that come from?", "ask_source"),
                               domain_with_catalogue()))
    message = shown(dispatcher)
    assert message["response"] == "utter_source"
    assert passages("utter_risks/overview")[0] in message["quote"]
    assert message["quote_lines"].startswith("> ")
    assert message["title"]


def test_a_button_under_an_older_answer_quotes_that_answer():
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "answer_ts", "value": RECOVERY_TS}]
    run(ActionShowSource().run(dispatcher, after_answers("/ask_source", "ask_source", entities),
                               domain_with_catalogue()))
    assert passages("utter_recovery/timeline")[0] in shown(dispatcher)["quote"]


def test_no_answer_yet_says_so():
    dispatcher = CollectingDispatcher()
    tracker = Tracker("x", {}, {"text": "source?", "intent": {"name": "ask_source"}, "entities": []},
                      [], False, None, {}, "action_listen")
    run(ActionShowSource().run(dispatcher, tracker, domain_with_catalogue()))
    assert uttered(dispatcher) == ["utter_source_none"]


def stored(url: str) -> List[tuple]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(select(AnswerFeedback.conversation_id, AnswerFeedback.answer_id,
                                         AnswerFeedback.helpful, AnswerFeedback.channel)).fetchall()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_feedback_buttons_store_once_for_the_answer_they_sit_under(database_url):
    no = [{"entity": "helpful", "value": "no"}, {"entity": "answer_ts", "value": RECOVERY_TS}]
    for _ in range(2):  # a second tap (a resend, another device) changes nothing
        dispatcher = CollectingDispatcher()
        run(ActionRecordFeedback().run(dispatcher, after_answers("/feedback", "feedback", no), DOMAIN))
        assert uttered(dispatcher) == ["utter_feedback_thanks"]
    typed = [{"entity": "helpful", "value": "yes"}]
    run(ActionRecordFeedback().run(CollectingDispatcher(), after_answers("that helped", "feedback", typed), DOMAIN))
    assert sorted(stored(database_url)) == [("telegram:42", "recovery/timeline", False, "telegram"),
                                            ("telegram:42", "risks/overview", True, "telegram")]


def test_feedback_with_no_answer_to_rate_stores_nothing(database_url):
    dispatcher = CollectingDispatcher()
    tracker = Tracker("y", {}, {"text": "helpful", "intent": {"name": "feedback"},
                                "entities": [{"entity": "helpful", "value": "yes"}]},
                      [], False, None, {}, "action_listen")
    run(ActionRecordFeedback().run(dispatcher, tracker, DOMAIN))
    assert uttered(dispatcher) == ["utter_feedback_nothing"]
    assert stored(database_url) == []
