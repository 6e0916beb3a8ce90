"""Training and held-out NLU data: enough of it, and held-out is really held out."""
from __future__ import annotations

import re
import string
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

import pytest
import yaml

from tests.project import ROOT, contract_answer_ids

TRAIN_DIR = ROOT / "data" / "nlu"
HELDOUT_DIR = ROOT / "tests" / "nlu"
REPLY_KIND_INTENTS = ["emergency", "crisis", "not_covered", "out_of_scope", "handoff", "screening"]
CHITCHAT = ["chitchat/greet", "chitchat/thanks", "chitchat/goodbye", "chitchat/bot_challenge"]


def examples(directory: Path) -> dict[str, list[str]]:
    by_intent: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            lines = [ln[2:].strip() for ln in block["examples"].splitlines() if ln.startswith("- ")]
            by_intent.setdefault(block["intent"], []).extend(lines)
    return by_intent


TRAIN = examples(TRAIN_DIR)
HELDOUT = examples(HELDOUT_DIR)


def normalise(text: str) -> str:
    text = text.lower().translate(str.maketrans("", "", string.punctuation))
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("label", contract_answer_ids() + REPLY_KIND_INTENTS + CHITCHAT)
def test_enough_distinct_training_and_heldout_examples(label):
    assert len(set(map(normalise, TRAIN.get(label, [])))) >= 20, label
    assert len(set(map(normalise, HELDOUT.get(label, [])))) >= 8, label


def test_no_example_is_repeated_in_training_data():
    counts = Counter(normalise(e) for lines in TRAIN.values() for e in lines)
    assert [e for e, n in counts.items() if n > 1] == []


def test_heldout_examples_are_not_copies_of_training_examples():
    train = {normalise(e) for lines in TRAIN.values() for e in lines}
    copies = [e for lines in HELDOUT.values() for e in lines if normalise(e) in train]
    assert copies == []


def test_heldout_examples_are_not_near_copies_of_training_examples():
    """No held-out example is a training example with a word or two changed."""
    near = []
    for intent, lines in HELDOUT.items():
        train = [normalise(e) for e in TRAIN.get(intent, [])]
        for example in map(normalise, lines):
            if len(example) < 12:  # "yes sure" vs "sure yes": short answers may look alike
                continue
            best = max((SequenceMatcher(None, example, t).ratio() for t in train), default=0)
            if best > 0.9:
                near.append((intent, example))
    assert near == []


def test_every_heldout_intent_is_trained():
    assert set(HELDOUT) <= set(TRAIN)
