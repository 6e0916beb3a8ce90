"""CatalogueAnswerChooser: the answer comes from the predicted category, or none."""
from __future__ import annotations

from typing import List, Tuple

from rasa.shared.nlu.training_data.message import Message

from components.answer_choice import CatalogueAnswerChooser

CHOOSER = CatalogueAnswerChooser({"threshold": 0.2})
RETRIEVAL_INTENTS = ["about", "procedure", "recovery", "eligibility", "risks", "chitchat"]


def message(
    intent: str,
    confidence: float,
    selector: List[Tuple[str, float]],
    classifier: List[Tuple[str, float]] = (),
) -> Message:
    top_key, top_conf = selector[0]
    return Message(
        data={
            "text": "...",
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [{"name": intent, "confidence": confidence}],
            "answer_ranking": [{"intent_response_key": k, "confidence": c} for k, c in classifier],
            "response_selector": {
                "all_retrieval_intents": RETRIEVAL_INTENTS,
                "default": {
                    "response": {
                        "intent_response_key": top_key,
                        "confidence": top_conf,
                        "utter_action": f"utter_{top_key}",
                        "responses": [{"text": "top answer"}],
                    },
                    "ranking": [{"intent_response_key": k, "confidence": c} for k, c in selector],
                },
            },
        }
    )


def chosen(msg: Message) -> Message:
    return CHOOSER.process([msg])[0]


def response(msg: Message) -> dict:
    return msg.get("response_selector")["default"]["response"]


def test_confident_answer_in_the_predicted_category_is_kept():
    msg = chosen(message("recovery", 0.9, [("recovery/timeline", 0.8), ("recovery/pain_relief", 0.1)]))
    assert msg.get("intent")["name"] == "recovery"
    assert response(msg)["utter_action"] == "utter_recovery/timeline"
    assert 0.2 <= response(msg)["confidence"] <= 0.9


def test_uncertain_category_times_answer_becomes_nlu_fallback():
    msg = chosen(message("recovery", 0.3, [("recovery/timeline", 0.3), ("recovery/pain_relief", 0.3)]))
    assert msg.get("intent")["name"] == "nlu_fallback"
    assert msg.get("intent_ranking")[0]["name"] == "nlu_fallback"


def test_answer_is_taken_from_the_predicted_category():
    msg = chosen(message("risks", 0.9, [("recovery/timeline", 0.5), ("risks/cement_leakage", 0.4),
                                         ("risks/overview", 0.1)]))
    assert response(msg)["intent_response_key"] == "risks/cement_leakage"
    assert response(msg)["utter_action"] == "utter_risks/cement_leakage"
    assert response(msg)["responses"] == []  # stale texts of the other answer removed


def test_classifier_and_selector_are_averaged():
    # selector slightly prefers overview, classifier strongly prefers cement_leakage
    msg = chosen(message("risks", 0.9, [("risks/overview", 0.5), ("risks/cement_leakage", 0.4)],
                         classifier=[("risks/cement_leakage", 0.8), ("risks/overview", 0.1)]))
    assert response(msg)["intent_response_key"] == "risks/cement_leakage"


def test_reply_kinds_are_untouched():
    msg = chosen(message("handoff", 0.9, [("recovery/timeline", 0.05)]))
    assert msg.get("intent") == {"name": "handoff", "confidence": 0.9}
