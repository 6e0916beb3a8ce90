"""Reading a check-in's answers (actions/checkins.py) and STOP words (channels/checkin_stop.py)."""
from __future__ import annotations

import pytest

from actions.checkins import read_pain, read_warning
from channels.checkin_stop import stop_word


@pytest.mark.parametrize("text, pain", [
    ("4", 4), ("0", 0), ("10", 10), ("about a 6", 6), ("7/10", 7), ("8 out of 10", 8), ("six", 6),
    ("no pain", 0), ("it's a 3 today", 3),
    ("between 4 and 6", None), ("11", None), ("2.5", None), ("bad", None), ("", None),
])
def test_the_pain_score_is_one_number_from_0_to_10(text, pain):
    assert read_pain(text) == pain


@pytest.mark.parametrize("message, warning", [
    ({"text": "yes", "intent": {"name": "affirm"}}, True),
    ({"text": "no", "intent": {"name": "deny"}}, False),
    ({"text": "nope, none of those", "intent": {"name": "deny"}}, False),
    ({"text": "the wound is red and I have a fever", "intent": {"name": "emergency"}}, True),
    ({"text": "yes it is bleeding a bit", "intent": {"name": "affirm"}}, True),
    ({"text": "what do you mean", "intent": {"name": "chitchat"}}, None),
])
def test_the_warning_sign_answer_is_yes_no_or_asked_again(message, warning):
    assert read_warning(message) is warning if warning is not None else read_warning(message) is None


@pytest.mark.parametrize("platform, text, word", [
    ("twilio", "STOP", "stop"), ("twilio", "stop", "stop"), ("twilio", "Unsubscribe", "unsubscribe"),
    ("twilio", "stop please", None), ("twilio", "how do I stop the pain", None),
    ("telegram", "/stop", "/stop"), ("telegram", "STOP", "/stop"), ("telegram", "/start", None),
])
def test_stop_words(platform, text, word):
    assert stop_word(platform, text) == word


def test_every_check_in_question_cites_the_source_word_for_word():
    from tests.project import SOURCE_DOCUMENT, domain

    source = " ".join(SOURCE_DOCUMENT.read_text(encoding="utf-8").split())
    questions = {name: variations for name, variations in domain()["responses"].items()
                 if name.startswith("utter_ask_checkin_")}
    assert set(questions) == {"utter_ask_checkin_pain", "utter_ask_checkin_warning"}
    for name, variations in questions.items():
        passages = variations[0]["metadata"]["source"]
        assert passages, name
        for passage in passages:
            assert " ".join(passage.split()) in source, (name, passage)
