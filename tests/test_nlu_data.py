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


BLIND_DIR = ROOT / "tests" / "blind"


def blind_texts() -> list[tuple[str, str]]:
    """(id, text) of every item and dialogue turn in the blind set, every round, both halves."""
    out = []
    for half in ("dev.yaml", "test.yaml", "round2/dev.yaml", "round2/test.yaml", "round3/test.yaml",
                 "round4/dev.yaml", "round4/test.yaml",
                 "round5/dev.yaml", "round5/test.yaml", "round6/dev.yaml", "round6/test.yaml",
                 "round7/dev.yaml", "round7/test.yaml"):
        data = yaml.safe_load((BLIND_DIR / half).read_text(encoding="utf-8"))
        out += [(item["id"], item["text"]) for item in data["items"]]
        out += [(f"{d['id']}#{i}", turn) for d in data.get("dialogues") or [] for i, turn in enumerate(d["turns"])]
    return out


def test_blind_set_is_not_copied_or_nearly_copied_into_training_data():
    """The blind set stays blind: no training example is one of its questions
    with a word or two changed (never edit training data to fix a test item)."""
    train = sorted({normalise(e) for lines in TRAIN.values() for e in lines})
    matcher = SequenceMatcher(autojunk=False)
    near = []
    for item_id, text in blind_texts():
        example = normalise(text)
        # Short canonical phrasings ("what is kyphoplasty", "start the checklist",
        # "tell me a joke") are written alike by anyone; a story is not.
        if len(example.split()) < 6:
            continue
        matcher.set_seq2(example)
        for candidate in train:
            matcher.set_seq1(candidate)
            if matcher.real_quick_ratio() > 0.9 and matcher.quick_ratio() > 0.9 and matcher.ratio() > 0.9:
                near.append((item_id, example, candidate))
                break
    assert near == []


def test_blind_halves_are_disjoint_and_large_enough():
    data = {half: yaml.safe_load((BLIND_DIR / f"{half}.yaml").read_text(encoding="utf-8"))
            for half in ("dev", "test")}
    ids = {half: {item["id"] for item in d["items"]} for half, d in data.items()}
    assert not ids["dev"] & ids["test"]
    items = data["dev"]["items"] + data["test"]["items"]
    count = Counter(item["expect"] for item in items)
    assert len(items) >= 400
    assert count["not_covered"] >= 100 and count["out_of_scope"] >= 60
    assert count["emergency"] >= 40 and count["screening"] >= 30
    assert all(item.get("origin", "").startswith("http") for item in items)
