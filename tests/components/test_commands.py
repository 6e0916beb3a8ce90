"""Requests about the last answer (and "go back" in the checklist) are read by rule: every phrasing in
data/nlu/commands.yml is read, and no other example or blind question is."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, Tuple

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from components.commands import RULE_READ_INTENTS, CommandReader, read_command
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


def test_no_other_training_example_or_blind_question_is_read_as_a_command():
    others = [example.get("text") for path in sorted((ROOT / "data" / "nlu").glob("*.yml"))
              if path != COMMANDS_FILE for example in load_data(str(path)).intent_examples]
    for blind in BLIND_SETS:
        others += [item["text"] for item in yaml.safe_load(Path(blind).read_text())["items"]]
    assert len(others) > 1000
    assert [text for text in others if read_command(text)] == []


def test_the_reader_puts_its_intent_first_and_adds_the_helpful_entity():
    message = Message(data={"text": "That was not helpful.", "intent": {"name": "chitchat", "confidence": 0.7},
                            "intent_ranking": [{"name": "chitchat", "confidence": 0.7}]})
    CommandReader().process([message])
    assert message.get("intent") == {"name": "feedback", "confidence": 1.0}
    assert [e["value"] for e in message.get("entities")] == ["no"]
    assert [e["name"] for e in message.get("intent_ranking")] == ["feedback", "chitchat"]
