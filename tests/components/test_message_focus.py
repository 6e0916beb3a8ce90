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


@pytest.mark.parametrize("phrase, negated", [
    ("legs aren't weak", True), ("feet are not numb", True), ("leg wasnt weak", True),
    ("can't feel my legs", False), ("not feel my legs", False), ("legs went numb", False),
    ("no feeling in my legs", False),
])
def test_a_phrase_that_states_the_opposite_of_its_sign(phrase, negated):
    assert focus.is_negated_within(phrase) is negated


@pytest.mark.parametrize("sentence, history", [
    ("tingling in my foot for years from old sciatica", True),
    ("I had chest pain last year", True),
    ("my legs went numb this morning", False),
    ("Back in 2009 my left leg was numb for months", True),
    ("it settled eventually and hasn't bothered me since", True),
    ("before the surgery i was short of breath all the time", True),
    ("since this morning i am short of breath", False),
    ("Last Christmas my aunt collapsed with chest pain", True),
    ("his chest hurt and it turned out to be reflux", True),
])
def test_history(sentence, history):
    assert focus.is_history(sentence) is history


@pytest.mark.parametrize("sentence, hypothetical", [
    ("what if I lose bladder control, is that a risk?", True),
    ("could kyphoplasty ever leave someone with numb legs?", True),
    ("what are the warning signs of an infection", True),
    ("what if my legs are numb right now", False),  # a report of now wins
    ("I can't control my bladder since yesterday", False),
    # a question about the sign itself, or written instructions quoted, is not a report
    ("is chest pain a side effect of kyphoplasty?", True),
    ("The discharge sheet says to call 911 for chest pain or shortness of breath.", True),
    ("the nurse told us to call if he gets a fever", True),
    ("my chest hurts and I'm short of breath, is that a side effect of the cement?", False),
    ("my doctor said to go to the ER because my legs are numb", False),
    ("is that a side effect? my chest started hurting an hour ago", False),  # reported now
    # asking how to recognise a sign
    ("how would I know if the wound has got infected?", True),
    ("how can you tell whether it's a clot in the lung", True),
    ("how do I know if my legs are going numb right now", False),  # reported now
])
def test_hypothetical(sentence, hypothetical):
    assert focus.is_hypothetical(sentence) is hypothetical


@pytest.mark.parametrize("sentence, figurative", [
    ("I'm dead on my feet by 3pm every day since the procedure, lol, not literally.", True),
    ("I nearly fainted when I saw what the hospital charged for one night", True),
    ("nearly fainted at the price they quoted for the balloon procedure", True),
    ("I nearly fainted in the shower this morning", False),
    ("my legs feel dead since I woke up lol", False),  # "lol" is not a disclaimer
])
def test_figures_of_speech(sentence, figurative):
    assert focus.is_figurative(sentence) is figurative


def test_nothing_negates_the_words_after_it():
    text = "My skin under the edge is a bit red from rubbing but nothing open or oozing."
    assert focus.is_negated(text, text.index("oozing"))


@pytest.mark.parametrize("text, reassured", [
    ("my back hurts a bit more. no fever, legs are fine, nothing else going on", True),
    ("He's eating fine and has no temperature, he's just wiped out", True),
    ("I'm feeling fine, I just don't understand the connection", True),
    ("she was doing great until tonight and now she can't breathe", False),
])
def test_reassurance(text, reassured):
    assert focus.is_reassured(text) is reassured


@pytest.mark.parametrize("text, asks", [
    ("what is kyphoplasty", True), ("is it safe?", True),
    ("my back hurts, can kyphoplasty help", True),           # a clause asks
    ("cant he just stay in bed and take pain pills instead", True),
    ("no swelling, I'm just curious what the cement is made of", True),
    ("any tips for sleeping after the procedure", True),
    ("the spot where they put the needle in is sore to touch, it's day two", False),
    ("cant sleep at night because of the pain", False),
    ("no fever, no numbness, legs fine, just sore", False),
])
def test_a_message_asks_something_or_only_reports(text, asks):
    assert focus.asks_something(text) is asks
