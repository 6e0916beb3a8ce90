"""SafetyGuard: an emergency or crisis wins over whatever else was recognised."""
from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from components.safety_guard import SafetyGuard

GUARD = SafetyGuard(SafetyGuard.get_default_config())


def message(intent: str, confidence: float, entities=(), ranking=None) -> Message:
    ranking = ranking or [{"name": intent, "confidence": confidence}]
    return Message(
        data={
            "text": "...",
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking,
            "entities": [{"entity": e, "value": "x", "start": 0, "end": 1} for e in entities],
        }
    )


def processed(msg: Message) -> Message:
    return GUARD.process([msg])[0]


def test_warning_sign_entity_overrides_a_confident_catalogue_intent():
    msg = processed(message("recovery", 0.97, entities=["warning_sign"]))
    assert msg.get("intent") == {"name": "emergency", "confidence": 1.0}
    assert msg.get("intent_ranking")[0]["name"] == "emergency"


def test_crisis_wins_over_a_warning_sign():
    msg = processed(message("recovery", 0.9, entities=["warning_sign", "crisis"]))
    assert msg.get("intent")["name"] == "crisis"


def test_uncertain_emergency_prediction_is_not_lost_to_the_fallback():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "emergency", "confidence": 0.4},
        {"name": "risks", "confidence": 0.3},
    ]
    msg = processed(message("nlu_fallback", 0.45, ranking=ranking))
    assert msg.get("intent")["name"] == "emergency"
    assert [r["name"] for r in msg.get("intent_ranking")].count("emergency") == 1


def test_other_intents_and_entities_are_left_alone():
    msg = processed(message("risks", 0.8, entities=["condition", "symptom"],
                            ranking=[{"name": "risks", "confidence": 0.8},
                                     {"name": "emergency", "confidence": 0.15}]))
    assert msg.get("intent") == {"name": "risks", "confidence": 0.8}


def test_emergency_and_crisis_probabilities_add_up():
    ranking = [
        {"name": "recovery", "confidence": 0.7},
        {"name": "emergency", "confidence": 0.12},
        {"name": "crisis", "confidence": 0.1},
    ]
    msg = processed(message("recovery", 0.7, ranking=ranking))
    assert msg.get("intent")["name"] == "emergency"


def test_a_very_weak_emergency_guess_does_not_override():
    ranking = [{"name": "risks", "confidence": 0.85}, {"name": "emergency", "confidence": 0.1}]
    msg = processed(message("risks", 0.85, ranking=ranking))
    assert msg.get("intent") == {"name": "risks", "confidence": 0.85}
