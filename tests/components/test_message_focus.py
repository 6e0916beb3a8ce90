"""Which sentence a reply answers, and the context a safety word stands in."""
from __future__ import annotations

import pytest

from components import message_focus as focus


def test_a_story_then_a_question_focuses_on_the_question():
    text = ("My mom is 84. She fell in March and the doctor found a fracture. "
            "What do they actually do in the operation?")
    assert focus.question_focus(text) == "What do they actually do in the operation?"
    assert len(focus.sentences(text)) == 3


def test_a_single_sentence_is_its_own_focus():
    assert focus.question_focus("how long is recovery") == "how long is recovery"


@pytest.mark.parametrize("text, word, negated", [
    ("no fever, no pus, just sore", "pus", True),
    ("I don't have a fever", "fever", True),
    ("without any numbness in my legs", "numbness", True),
    ("I have a fever and pus", "pus", False),
    ("no pain in my back but my legs are numb", "numb", False),  # the negation is in another clause
])
def test_negation_is_read_within_the_clause(text, word, negated):
    assert focus.is_negated(text, text.index(word)) is negated


@pytest.mark.parametrize("sentence, history", [
    ("tingling in my foot for years from old sciatica", True),
    ("I had chest pain last year", True),
    ("my legs went numb this morning", False),
    ("Back in 2009 my left leg was numb for months", True),
    ("it settled eventually and hasn't bothered me since", True),
    ("before the surgery i was short of breath all the time", True),
    ("since this morning i am short of breath", False),
])
def test_history(sentence, history):
    assert focus.is_history(sentence) is history


@pytest.mark.parametrize("sentence, hypothetical", [
    ("what if I lose bladder control, is that a risk?", True),
    ("could kyphoplasty ever leave someone with numb legs?", True),
    ("what are the warning signs of an infection", True),
    ("what if my legs are numb right now", False),  # a report of now wins
    ("I can't control my bladder since yesterday", False),
])
def test_hypothetical(sentence, hypothetical):
    assert focus.is_hypothetical(sentence) is hypothetical
