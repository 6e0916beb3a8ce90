"""A long conversation read as a window (stores/tracker_store.py) answers exactly
as when the whole session is replayed, and the record stays whole.

The same scripted conversation (questions, a checklist interrupted by a
question, a callback, more questions) runs against a server that replays the
whole session (TRACKER_WINDOW_TURNS=0, stock Rasa's behaviour) and one with a
window of two turns, so the checklist's start falls outside the window long
before its end. Both must give the same replies, in the same order, store one
screening result and one callback, and show every message in the HTTP API's
tracker (the catalogue contract).
"""
from __future__ import annotations

from typing import List

import pytest
from sqlalchemy import create_engine, text

from tests.support.assistant_stack import start_assistant
from tests.server.conftest import new_sender

pytestmark = pytest.mark.server

QUESTIONS = ["what is kyphoplasty?", "how long is recovery?", "is it safe?", "will I be asleep?",
             "what are the risks?", "thank you"]
SCRIPT: List[str] = [
    *QUESTIONS, *QUESTIONS,
    "could kyphoplasty help me", "yes", "no", "yes",
    "what does the balloon do?",  # a question in the middle of the checklist
    "osteoporosis", "yes", "no mri", "no", "none",
    "yes", "Mary Smith", "(212) 555-0143", "yes",  # the callback after the outcome
    *QUESTIONS,
]


def run_script(tmp_path, window_turns: str):
    work = tmp_path / f"window-{window_turns}"
    work.mkdir()
    stack = start_assistant(work, extra_env={"TRACKER_WINDOW_TURNS": window_turns})
    assistant = next(stack)
    try:
        sender = new_sender()
        for message in SCRIPT:
            assistant.replies(sender, message)
        events = assistant.tracker(sender)["events"]
        engine = create_engine(assistant.database_url)
        with engine.connect() as connection:
            stored = {table: connection.execute(text(f"select count(*) from {table} where conversation_id = :c"),
                                                {"c": sender}).scalar()
                      for table in ("screening_results", "callback_requests")}
        engine.dispose()
        return events, stored
    finally:
        stack.close()


def test_a_window_of_two_turns_answers_as_the_whole_session_does(tmp_path):
    whole_events, whole_stored = run_script(tmp_path, "0")
    window_events, window_stored = run_script(tmp_path, "2")

    def replies(events) -> List[str]:
        return [e.get("metadata", {}).get("utter_action") for e in events if e["event"] == "bot"]

    assert replies(window_events) == replies(whole_events)
    assert "utter_callback_saved" in replies(window_events)
    assert whole_stored == window_stored == {"screening_results": 1, "callback_requests": 1}
    # the record is whole: every message in the API's tracker, in order
    assert [e["text"] for e in window_events if e["event"] == "user"] == SCRIPT
