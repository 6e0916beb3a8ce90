"""The outcome rules, table-driven: every answer that changes the outcome."""
from __future__ import annotations

import itertools

import pytest

from actions.screening_rules import Answers, Note, Outcome, answers_from_slots, decide, outcome_response

BASE = dict(fracture_found="yes", fracture_cause="osteoporosis", pain_limits="yes", mri_active="yes",
            osteoporosis_treated="yes", warning_signs="no", risk_conditions="none")


def answers(**changes) -> Answers:
    return Answers(**{**BASE, **changes})


@pytest.mark.parametrize(
    "changes, outcome",
    [
        ({}, Outcome.COMMONLY_CONSIDERED),
        ({"fracture_cause": "cancer"}, Outcome.COMMONLY_CONSIDERED),
        ({"warning_signs": "yes"}, Outcome.EMERGENCY),
        ({"warning_signs": "yes", "fracture_found": "no"}, Outcome.EMERGENCY),
        ({"fracture_found": "no"}, Outcome.NO_KNOWN_FRACTURE),
        ({"fracture_found": "unsure"}, Outcome.NO_KNOWN_FRACTURE),
        ({"pain_limits": "no"}, Outcome.NOT_PAINFUL),
        ({"pain_limits": "unsure"}, Outcome.NOT_PAINFUL),
        ({"mri_active": "no"}, Outcome.CHRONIC),
        ({"mri_active": "no_mri"}, Outcome.NEEDS_MRI),
        ({"mri_active": "unknown"}, Outcome.NEEDS_MRI),
        ({"fracture_found": "no", "pain_limits": "no", "mri_active": "no"}, Outcome.NO_KNOWN_FRACTURE),
        ({"pain_limits": "no", "mri_active": "no"}, Outcome.NOT_PAINFUL),
    ],
)
def test_outcome(changes, outcome):
    assert decide(answers(**changes)).outcome is outcome


@pytest.mark.parametrize(
    "changes, notes",
    [
        ({}, []),
        ({"osteoporosis_treated": "no"}, [Note.BONE_DENSITY]),
        ({"osteoporosis_treated": "unknown"}, [Note.BONE_DENSITY]),
        ({"fracture_cause": "cancer", "osteoporosis_treated": "no"}, []),
        ({"risk_conditions": "infection"}, [Note.RISK_FLAG]),
        ({"risk_conditions": "bleeding"}, [Note.RISK_FLAG]),
        ({"risk_conditions": "both"}, [Note.RISK_FLAG]),
        ({"risk_conditions": "unsure"}, [Note.RISK_FLAG]),
        ({"fracture_cause": "injury"}, [Note.CAUSE]),
        ({"fracture_cause": "unknown"}, [Note.CAUSE]),
        ({"fracture_cause": "unknown", "risk_conditions": "bleeding"}, [Note.CAUSE, Note.RISK_FLAG]),
        ({"osteoporosis_treated": "no", "risk_conditions": "infection"}, [Note.BONE_DENSITY, Note.RISK_FLAG]),
    ],
)
def test_notes(changes, notes):
    assert decide(answers(**changes)).notes == notes


def test_risk_flag_marks_the_record_for_the_care_team():
    assert decide(answers(risk_conditions="bleeding")).flagged_for_care_team
    assert not decide(answers()).flagged_for_care_team


def test_emergency_has_no_outcome_response_and_no_notes():
    result = decide(answers(warning_signs="yes", risk_conditions="both"))
    assert result.notes == [] and outcome_response(result.outcome) is None


def test_the_only_encouraging_outcome_needs_every_condition():
    """Across all answer combinations, 'commonly considered' appears only when all hold."""
    values = dict(fracture_found=["yes", "no", "unsure"], pain_limits=["yes", "no", "unsure"],
                  mri_active=["yes", "no", "no_mri", "unknown"], warning_signs=["yes", "no"])
    for combo in itertools.product(*values.values()):
        given = answers(**dict(zip(values, combo)))
        encouraging = decide(given).outcome is Outcome.COMMONLY_CONSIDERED
        assert encouraging == (given.fracture_found == "yes" and given.pain_limits == "yes"
                               and given.mri_active == "yes" and given.warning_signs == "no")


def test_missing_answers_count_as_not_sure():
    assert answers_from_slots({"fracture_found": "yes"}) == Answers(fracture_found="yes")
    assert decide(answers_from_slots({})).outcome is Outcome.NO_KNOWN_FRACTURE


def test_an_unasked_risk_question_raises_no_flag():
    result = decide(answers_from_slots({"warning_signs": "no", "fracture_found": "no"}))
    assert result.outcome is Outcome.NO_KNOWN_FRACTURE and result.notes == []


def test_every_outcome_and_note_has_a_domain_response():
    from tests.project import domain

    responses = domain()["responses"]
    for outcome in Outcome:
        name = outcome_response(outcome)
        assert name is None or name in responses
    for note in Note:
        assert f"utter_screening_note_{note.value}" in responses
