"""The rule-based domain entities of the project's spaCy pipeline."""
from __future__ import annotations

import pytest

from components.spacy_pipeline import build_pipeline, load_patterns

NLP = build_pipeline()


def labels(text: str) -> set[str]:
    return {ent.label_ for ent in NLP(text).ents}


@pytest.mark.parametrize(
    "text",
    [
        "my legs went numb this morning",
        "I can't feel my legs",
        "numbness in both of my legs since yesterday",
        "she wet herself and didnt notice",
        "I lost control of my bladder",
        "chest pain when I breathe in",
        "hard to breathe after the procedure",
        "I have a high fever since the kyphoplasty",
        "fever of 103 two days after",
        "the incision is red and oozing",
        "dad fell yesterday and is in terrible pain",
        "keep blacking out when I stand up",
        "his face is drooping on one side",
        "her words are slurred",
        "mom has just collapsed in the kitchen",
        "running a high temp since last night",
        "high temp and chills",
        "her leg is twisted at a weird angle",
        # a clot or cement in the lung; saddle numbness in its usual euphemism
        "I just coughed up a mouthful of blood",
        "she coughed into a tissue and there was blood in it",
        "he is puffing even sitting in his chair",
        "totally numb down there since lunch",
    ],
)
def test_warning_signs_are_found(text):
    assert "warning_sign" in labels(text)


@pytest.mark.parametrize(
    "text",
    ["I just can't go on anymore", "i want to die", "I'd be better off dead",
     "thinking about ending my life", "no reason to live with this pain",
     "i wont be around for the next one", "I won't be around much longer",
     "how many pills to go to sleep and not come back", "i dont want to wake up tomorrow",
     "they would all be better off without me", "I'm just a burden to everyone",
     "he gave away his watch and all his fishing gear", "says he wont need them where hes going",
     "she has been writing goodbye letters"],
)
def test_crisis_language_is_found(text):
    assert "crisis" in labels(text)


@pytest.mark.parametrize(
    "text",
    ["is infection a risk?", "what are the risks of cement leaking", "how long is recovery",
     "I was just ready to give up before Dr. Kremer", "can you get a fever after?",
     "what is kyphoplasty", "my mom fell last year and broke a bone in her back",
     # a vertebra collapses; a person collapses
     "the cancer weakened his spine and now one of them has collapsed",
     # the weather
     "whats the high temp today",
     # a reassurance, not "no breathing"
     "she has no breathing problems at all",
     # a cough and blood that are not coughing up blood; a pipe
     "can I take cough syrup with my blood pressure pills",
     "he coughed a lot and his blood pressure was up", "he is puffing away at his pipe on the porch"],
)
def test_questions_are_not_warning_signs(text):
    assert not labels(text) & {"warning_sign", "crisis"}


def test_conditions_and_time_expressions():
    doc = NLP("I have osteoporosis and a compression fracture from 3 weeks ago, and I take eliquis")
    found = {(ent.text, ent.label_) for ent in doc.ents}
    assert ("osteoporosis", "condition") in found
    assert ("3 weeks ago", "time") in found
    assert ("eliquis", "condition") in found


def test_yaml_booleans_are_refused(tmp_path):
    bad = tmp_path / "patterns.yml"
    bad.write_text("patterns:\n  crisis:\n  - [{LOWER: {IN: [go, on]}}]\n")
    with pytest.raises(ValueError, match="quote it"):
        load_patterns(bad)
