"""Requests about the last answer (and "go back" in the checklist) are read by rule: every phrasing in
data/nlu/commands.yml is read, and no other example or blind question is. A plain request for the
checklist and a request for a person are read by rule too, beside the classifier."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, Tuple

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from components.commands import RULE_READ_INTENTS, CommandReader, asks_for_a_person, read_command
from tests.project import ROOT

COMMANDS_FILE = ROOT / "data" / "nlu" / "commands.yml"
BLIND_SETS = [ROOT / "tests" / "blind" / "dev.yaml", ROOT / "tests" / "blind" / "round2" / "dev.yaml"]


def command_examples() -> Iterator[Tuple[str, str, str]]:
    for example in load_data(str(COMMANDS_FILE)).intent_examples:
        values = [entity["value"] for entity in example.get("entities") or []]
        yield example.get("text"), example.get("intent"), values[0] if values else ""


@pytest.mark.parametrize("text, intent, helpful", list(command_examples()))
def test_every_listed_phrasing_is_read(text, intent, helpful):
    reading = read_command(text)
    assert reading is not None, text
    assert reading[0] == intent
    assert [entity["value"] for entity in reading[1]] == ([helpful] if helpful else [])


def test_the_file_holds_exactly_the_rule_read_intents():
    assert {intent for _, intent, _ in command_examples()} == RULE_READ_INTENTS


@pytest.mark.parametrize("text", [
    "where does the cement come from", "where do they put the needle", "what is the source of the pain",
    "is that from the fracture?", "did the procedure help", "the pain pills didn't help",
    "it was helpful to walk a bit", "how do you know if the bone is healing", "back pain",
    "my back is not helpful", "", "   ", "🙂",
    "my back hurts", "when can I go back to work", "go back to driving", "back surgery",
    "is the mistake in my spine", "can I undo the surgery", "my previous fracture",
])
def test_questions_that_share_words_are_left_to_the_classifier(text):
    assert read_command(text) is None


def labelled_examples() -> Iterator[Tuple[str, str]]:
    """(text, intent or expected kind) of every other training example and development question."""
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        if path != COMMANDS_FILE:
            for example in load_data(str(path)).intent_examples:
                yield example.get("text"), example.get("intent")
    for blind in BLIND_SETS:
        for item in yaml.safe_load(Path(blind).read_text())["items"]:
            yield item["text"], item["expect"]


def test_no_other_training_example_or_blind_question_is_read_as_a_command():
    others = list(labelled_examples())
    assert len(others) > 1000
    misread = [(text, intent, reading[0]) for text, intent in others
               for reading in [read_command(text)] if reading and reading[0] != intent]
    assert misread == []


@pytest.mark.parametrize("text", [
    "start the checklist", "Start the checklist", "do the screening", "I want to take the checklist",
    "lets do the quiz thing", "take the screening test", "screen my mom", "can we do the eligibility quiz for my dad",
    "checklist", "the questionnaire please", "how do I take the quiz?",
])
def test_a_plain_request_for_the_checklist_is_read(text):
    assert read_command(text) == ("screening", [])


@pytest.mark.parametrize("text", [
    "what is the checklist", "do i have to do the checklist again", "stop the checklist", "no checklist",
    "what tests do i need before", "take a test", "is the quiz accurate?",
])
def test_questions_about_the_checklist_are_left_to_the_classifier(text):
    assert read_command(text) is None


@pytest.mark.parametrize("text", [
    "Could a nurse call me tomorrow? I work nights so anytime after 10am is best.",
    "There are a few things I'd rather go over with one of the nurses. Could somebody give me a call?",
    "how do i reach my surgeons office after hours", "please call me", "can you have someone call me back",
    "I'd rather speak with a nurse", "can i talk to a real person", "put me through to the clinic",
])
def test_a_request_for_a_person_in_any_sentence(text):
    assert asks_for_a_person(text)


@pytest.mark.parametrize("text", [
    "the nurse will call me tomorrow, what should I ask", "should I call my doctor?", "my doctor called me yesterday",
    "If she calls me what should I say?", "is it ok to phone the office?", "can you tell me about the cement",
    "", "🙂",
])
def test_mentions_of_calls_that_are_not_requests(text):
    assert not asks_for_a_person(text)


def test_only_requests_for_a_person_are_read_as_one():
    """Among training examples and development questions, only handoff ones ask for a person."""
    asked = {intent for text, intent in labelled_examples() if asks_for_a_person(text)}
    assert asked == {"handoff"}


def test_the_reader_puts_its_intent_first_and_adds_the_helpful_entity():
    message = Message(data={"text": "That was not helpful.", "intent": {"name": "chitchat", "confidence": 0.7},
                            "intent_ranking": [{"name": "chitchat", "confidence": 0.7}]})
    CommandReader().process([message])
    assert message.get("intent") == {"name": "feedback", "confidence": 1.0}
    assert [e["value"] for e in message.get("entities")] == ["no"]
    assert [e["name"] for e in message.get("intent_ranking")] == ["feedback", "chitchat"]
