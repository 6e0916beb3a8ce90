"""SafetyGuard: emergencies win, and only real ones (negation, history, questions about a risk)."""
from __future__ import annotations

from typing import List, Tuple

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.safety_guard import SafetyGuard
from components.sentence_encoder import DEFAULT_MODEL_DIR, shared_encoder

GUARD = SafetyGuard(SafetyGuard.get_default_config())


def message(text: str, intent: str, confidence: float, spans: List[Tuple[str, str]] = (), ranking=None) -> Message:
    """`spans`: (entity label, the words it covers in `text`)."""
    ranking = ranking or [{"name": intent, "confidence": confidence}]
    entities = [{"entity": label, "value": words, "start": text.index(words), "end": text.index(words) + len(words)}
                for label, words in spans]
    return Message(data={"text": text, "intent": {"name": intent, "confidence": confidence},
                         "intent_ranking": ranking, "entities": entities})


def processed(msg: Message) -> Message:
    return GUARD.process([msg])[0]


def test_a_warning_sign_reported_now_overrides_a_confident_catalogue_intent():
    msg = processed(message("what's the recovery time, also my legs went numb", "recovery", 0.97,
                            [("warning_sign", "legs went numb")]))
    assert msg.get("intent") == {"name": "emergency", "confidence": 1.0}
    assert msg.get("intent_ranking")[0]["name"] == "emergency"
    assert msg.get("safety")["rules"] == ["warning_sign"]


def test_crisis_wins_over_a_warning_sign():
    msg = processed(message("my legs went numb and I want to die", "recovery", 0.9,
                            [("warning_sign", "legs went numb"), ("crisis", "want to die")]))
    assert msg.get("intent")["name"] == "crisis"


@pytest.mark.parametrize("text, words, reason", [
    ("the incision is a bit pink and itchy but no fever and no pus", "pus", "negated"),
    ("tingling in my legs for years from old sciatica", "legs for years from old sciatica", "history"),
    ("what if I lose bladder control, is that a risk?", "lose bladder", "asking about a risk"),
    ("is chest pain a side effect of kyphoplasty?", "chest pain", "asking about a risk"),
    ("I'm dead on my feet by 3pm, not literally.", "dead on my feet", "figure of speech"),
    ("nearly fainted at the price they quoted", "fainted", "figure of speech"),
    ("my legs aren't weak or numb at all, I just want to know how long the recovery takes",
     "legs aren't weak", "negated"),
    ("how would I know if the wound has got infected?", "wound has got infected", "asking about a risk"),
])
def test_a_warning_sign_that_is_not_reported_now_is_discounted(text, words, reason):
    msg = processed(message(text, "not_covered", 0.8, [("warning_sign", words)]))
    assert msg.get("intent")["name"] == "not_covered"
    assert msg.get("safety")["discounted"] == [{"entity": "warning_sign", "reason": reason}]


def test_a_warning_sign_worded_with_a_negation_is_still_reported():
    msg = processed(message("I can't feel my legs since lunch", "not_covered", 0.8,
                            [("warning_sign", "can't feel my legs")]))
    assert msg.get("intent")["name"] == "emergency"


def test_crisis_language_is_only_discounted_when_negated():
    msg = processed(message("I had suicidal thoughts in the past", "not_covered", 0.8, [("crisis", "suicidal")]))
    assert msg.get("intent")["name"] == "crisis"
    msg = processed(message("I'm not suicidal, just tired", "not_covered", 0.8, [("crisis", "suicidal")]))
    assert msg.get("intent")["name"] == "not_covered"


def test_a_likely_emergency_from_the_classifier_is_not_lost_to_the_fallback():
    ranking = [{"name": "nlu_fallback", "confidence": 0.05}, {"name": "emergency", "confidence": 0.8},
               {"name": "crisis", "confidence": 0.1}]
    msg = processed(message("my lips look blue", "nlu_fallback", 0.05, ranking=ranking))
    assert msg.get("intent")["name"] == "emergency"
    assert [r["name"] for r in msg.get("intent_ranking")].count("emergency") == 1


def test_a_weak_emergency_vote_is_replaced_by_the_next_intent():
    ranking = [{"name": "emergency", "confidence": 0.28}, {"name": "not_covered", "confidence": 0.26},
               {"name": "risks", "confidence": 0.24}, {"name": "recovery", "confidence": 0.22}]
    msg = processed(message("dad is all blocked up from the pain pills", "emergency", 0.28, ranking=ranking))
    assert msg.get("intent") == {"name": "not_covered", "confidence": 0.26}
    assert all(r["name"] not in ("emergency", "crisis") for r in msg.get("intent_ranking"))
    assert msg.get("safety")["demoted"] is True  # the answer scope reads it


def test_a_message_no_one_thought_an_emergency_is_not_marked_demoted():
    msg = processed(message("how long is recovery", "recovery", 0.9))
    assert "demoted" not in msg.get("safety")


def test_other_intents_and_entities_are_left_alone():
    msg = processed(message("is it risky with osteoporosis", "risks", 0.8, [("condition", "osteoporosis")],
                            ranking=[{"name": "risks", "confidence": 0.8}, {"name": "emergency", "confidence": 0.15}]))
    assert msg.get("intent") == {"name": "risks", "confidence": 0.8}


@pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "encoder.onnx").exists(), reason="run scripts/setup.sh first")
def test_the_detector_scores_each_sentence_of_a_long_message():
    """One alarming sentence inside a story is not diluted by the story."""
    alarming = "I can't breathe and my chest is crushing"
    weights = shared_encoder(str(DEFAULT_MODEL_DIR)).encode_one(alarming) * 40.0
    guard = SafetyGuard(SafetyGuard.get_default_config(), weights=weights, bias=-30.0)
    story = ("My mom had her kyphoplasty on Monday and was doing well. We went for a short walk today. "
             + alarming + ".")
    msg = guard.process([message(story, "recovery", 0.9)])[0]
    assert msg.get("safety")["detector"] > 0.97
    assert msg.get("intent")["name"] == "emergency"
    calm = "My mom had her kyphoplasty on Monday. She is doing well and walked today."
    assert guard.process([message(calm, "recovery", 0.9)])[0].get("intent")["name"] == "recovery"


@pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "encoder.onnx").exists(), reason="run scripts/setup.sh first")
@pytest.mark.parametrize("told_as, alarm", [
    ("Back in 2019 I couldn't breathe and my chest was crushing", False),  # history
    ("What if I can't breathe and my chest is crushing", False),  # a question about a risk
    ("Since an hour ago I can't breathe and my chest is crushing", True),  # now
])
def test_the_detector_reads_each_sentence_in_context(told_as, alarm):
    """A sentence told as history or as a question about a risk reports nothing now."""
    alarming = "I can't breathe and my chest is crushing"
    encoder = shared_encoder(str(DEFAULT_MODEL_DIR))
    weights = encoder.encode_one(alarming) * 40.0
    guard = SafetyGuard(SafetyGuard.get_default_config(), weights=weights, bias=-28.0)
    assert encoder.encode_one(told_as) @ weights - 28.0 > 3.0  # alone, the sentence scores above 0.95
    story = "My mom had her kyphoplasty on Monday and was doing well. " + told_as + "."
    msg = guard.process([message(story, "recovery", 0.9)])[0]
    assert (msg.get("intent")["name"] == "emergency") is alarm


def test_low_mood_without_crisis_words_needs_a_surer_classifier():
    """The issue: low mood without crisis language gets a kind reply, not 911."""
    ranking = [{"name": "crisis", "confidence": 0.6}, {"name": "not_covered", "confidence": 0.4}]
    msg = processed(message("feeling blue and weepy since the procedure, is that normal?", "crisis", 0.6,
                            ranking=ranking))
    assert msg.get("intent")["name"] == "not_covered"
    assert {"entity": "low_mood", "reason": "low mood without crisis words"} in msg.get("safety")["discounted"]
    # the same vote on words that are not low mood still forces the safety reply
    msg = processed(message("he keeps saying goodbye to everyone", "crisis", 0.6, ranking=ranking))
    assert msg.get("intent")["name"] == "crisis"


def test_crisis_words_win_over_low_mood():
    text = "I've been so down, I gave away all my things and wont need them where I'm going"
    msg = processed(message(text, "not_covered", 0.9, [("crisis", "gave away all my things")]))
    assert msg.get("intent")["name"] == "crisis"


@pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "encoder.onnx").exists(), reason="run scripts/setup.sh first")
def test_a_message_that_says_nothing_alarming_is_happening_needs_a_surer_detector():
    alarming = "My back hurts more than it did before"
    weights = shared_encoder(str(DEFAULT_MODEL_DIR)).encode_one(alarming) * 40.0
    guard = SafetyGuard(SafetyGuard.get_default_config(), weights=weights, bias=-36.2)
    worried = "Two days after my kyphoplasty. " + alarming + "."
    reassured = worried + " No fever, legs are fine."
    assert 0.9 <= guard.process([message(worried, "not_covered", 0.9)])[0].get("safety")["detector"] < 0.97
    assert guard.process([message(worried, "not_covered", 0.9)])[0].get("intent")["name"] == "emergency"
    msg = guard.process([message(reassured, "not_covered", 0.9)])[0]
    assert msg.get("safety")["reassured"] is True
    assert msg.get("intent")["name"] == "not_covered"
