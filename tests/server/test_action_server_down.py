"""With the action server down, everything that needs no custom action still works."""
from __future__ import annotations

import secrets
import signal
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from tests.support.assistant_stack import Assistant, free_port, start_assistant
from tests.server.conftest import new_sender, start_action_server

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def without_actions(tmp_path_factory) -> Iterator[Assistant]:
    # the action endpoint points at a port where nothing listens
    yield from start_assistant(tmp_path_factory.mktemp("no-actions"), free_port(), start_actions=False)


def test_catalogue_answers_emergencies_and_disclaimer_need_no_action_server(without_actions):
    sender = new_sender()
    without_actions.replies(sender, "What is kyphoplasty?")
    replies = without_actions.replies(sender, "my legs went numb and weak")
    assert without_actions.bot_actions(sender) == ["utter_about/what_is", "utter_disclaimer", "utter_emergency"]
    assert "911" in replies[0]["text"]


def test_handoff_falls_back_to_neutral_contact_wording(without_actions):
    sender = new_sender()
    replies = without_actions.replies(sender, "I want to talk to a real person")
    assert without_actions.bot_actions(sender)[0] == "utter_handoff"
    # the domain's initial slot values, true for any clinic
    assert "the phone number on your appointment papers" in replies[0]["text"]


def test_action_server_killed_mid_checklist_asks_again_and_resumes(tmp_path):
    """kill -9 of the action server mid-checklist: the patient is told, the same
    question comes again, the raw answer is not kept, and after a restart the
    checklist goes on and its result is stored once."""
    port, token = free_port(), secrets.token_hex(20)
    stack = start_assistant(tmp_path, port, start_actions=False, extra_env={"ACTION_SERVER_TOKEN": token})
    assistant = next(stack)
    actions = start_action_server(port, token, assistant.database_url, tmp_path / "actions-own.log")
    try:
        sender = new_sender()
        assistant.replies(sender, "could kyphoplasty help me")
        assistant.replies(sender, "yes")
        assert assistant.bot_actions(sender)[-1] == "utter_ask_warning_signs"

        actions.send_signal(signal.SIGKILL)
        actions.wait()
        replies = assistant.replies(sender, "no")
        assert replies, "never a silent 200 []"
        assert assistant.bot_actions(sender)[-2:] == ["utter_answer_not_recorded", "utter_ask_warning_signs"]
        tracker = assistant.tracker(sender)
        assert tracker["slots"]["warning_signs"] is None  # the unchecked "no" was not kept
        assert tracker["active_loop"]["name"] == "screening_form"

        actions = start_action_server(port, token, assistant.database_url, tmp_path / "actions-own.log")
        assistant.replies(sender, "no")
        assert assistant.bot_actions(sender)[-1] == "utter_ask_fracture_found"
        assistant.replies(sender, "no")
        assert "utter_screening_outcome_no_known_fracture" in assistant.bot_actions(sender)
        engine = create_engine(assistant.database_url)
        with engine.connect() as connection:
            stored = connection.execute(text("select count(*) from screening_results where conversation_id = :c"),
                                        {"c": sender}).scalar()
        engine.dispose()
        assert stored == 1
    finally:
        actions.kill()
        stack.close()
