"""Reading checklist answers from buttons and from people's own words."""
from __future__ import annotations

import pytest

from actions import answers


def said(text: str, intent: str = "inform", **entities: str) -> dict:
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [{"entity": k, "value": v} for k, v in entities.items()],
    }


@pytest.mark.parametrize("text, expected", [
    ("yep", "yes"), ("yes she does", "yes"), ("I think so", "yes"), ("uh huh", "yes"),
    ("nah", "no"), ("not really", "no"), ("no he hasn't", "no"), ("nope", "no"),
    ("dunno", "unsure"), ("not sure", "unsure"), ("maybe", "unsure"), ("I don't know", "unsure"),
])
def test_yes_no_unsure_from_words(text, expected):
    assert answers.yes_no_unsure(said(text)) == expected


def test_yes_no_unsure_from_button_intents():
    assert answers.yes_no_unsure(said("/affirm", "affirm")) == "yes"
    assert answers.yes_no_unsure(said("/deny", "deny")) == "no"
    assert answers.yes_no_unsure(said("/unsure", "unsure")) == "unsure"
    assert answers.yes_no_unsure(said("banana", "out_of_scope")) is None


@pytest.mark.parametrize("text, expected", [
    ("they found it 3 weeks ago", "yes"), ("yes on the x-ray", "yes"), ("no", "no"), ("dunno", "unsure"),
])
def test_fracture_found(text, expected):
    entities = {"time": "3 weeks ago"} if "ago" in text else {}
    assert answers.fracture_found(said(text, **entities)) == expected


@pytest.mark.parametrize("text, expected", [
    ("osteoporosis", "osteoporosis"), ("my bones are brittle", "osteoporosis"),
    ("myeloma", "cancer"), ("a tumor in my spine", "cancer"), ("cancer spread to the bone", "cancer"),
    ("I fell down the stairs", "injury"), ("car accident", "injury"),
    ("no idea", "unknown"), ("purple", None),
])
def test_fracture_cause(text, expected):
    assert answers.fracture_cause(said(text)) == expected


def test_cause_button():
    assert answers.fracture_cause(said('/inform{"choice":"injury"}', choice="injury")) == "injury"


@pytest.mark.parametrize("text, expected", [
    ("yes it's active", "yes"), ("the mri said it is a new fracture", "yes"),
    ("they said it's old", "no"), ("chronic", "no"),
    ("no mri yet", "no_mri"), ("haven't had a scan", "no_mri"),
    ("what does that mean?", "explain"), ("what's an mri", "explain"),
    ("dunno", "unknown"), ("purple", None),
])
def test_mri_active(text, expected):
    assert answers.mri_active(said(text)) == expected


@pytest.mark.parametrize("text, expected", [
    ("no", "no"), ("yes", "yes"), ("not sure", "unsure"),  # asked one by one, not a verdict
    ("ys", "yes"),
])
def test_warning_signs(text, expected):
    assert answers.warning_signs(said(text)) == expected


def test_a_one_letter_no_is_read_from_the_short_reply_intent():
    assert answers.warning_signs(said("n", "deny")) == "no"


def test_warning_sign_entity_means_yes():
    assert answers.warning_signs(said("my legs are numb", "emergency", warning_sign="legs are numb")) == "yes"


@pytest.mark.parametrize("text, expected", [
    ("I take warfarin", "bleeding"), ("blood thinners", "bleeding"), ("a bladder infection", "infection"),
    ("infection and eliquis", "both"), ("none of those", "none"), ("no", "none"), ("not sure", "unsure"),
])
def test_risk_conditions(text, expected):
    assert answers.risk_conditions(said(text)) == expected


def test_consent():
    assert answers.consent(said("yes I agree")) is True
    assert answers.consent(said("no")) is False
    assert answers.consent(said("purple")) is None
