"""With the action server down, everything that needs no custom action still works."""
from __future__ import annotations

from typing import Iterator

import pytest

from scripts.stack import Assistant, free_port, start_assistant
from tests.server.conftest import new_sender

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
