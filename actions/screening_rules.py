"""The screening checklist's outcome rules: plain, pure and tested.

Built only on what ../shared/source/kyphoplasty.md says about who kyphoplasty is
for: painful vertebral compression fractures (mainly from osteoporosis, also
cancer or other lesions) that an MRI shows to be still active; not suitable for
all fractures or for patients with certain medical conditions; untreated low
bone density leads to more fractures. Whenever an answer is unclear, the rules
choose the more cautious outcome. No outcome is a diagnosis.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import List, Optional


class Outcome(str, Enum):
    """Each value names the domain response `utter_screening_outcome_<value>`."""

    EMERGENCY = "emergency"                # a warning sign now: utter_emergency was given
    NO_KNOWN_FRACTURE = "no_known_fracture"  # no fracture found, or not sure
    NOT_PAINFUL = "not_painful"            # fracture, but no pain or limits reported
    CHRONIC = "chronic"                    # an MRI showed the fracture is not active
    NEEDS_MRI = "needs_mri"                # no MRI yet, or not known what it showed
    COMMONLY_CONSIDERED = "commonly_considered"  # matches where kyphoplasty is considered


class Note(str, Enum):
    """Each value names the domain response `utter_screening_note_<value>`."""

    BONE_DENSITY = "bone_density"  # osteoporosis not (known to be) treated
    RISK_FLAG = "risk_flag"        # infection / bleeding problem / blood thinners: care team
    CAUSE = "cause"                # not osteoporosis or cancer: not suitable for all fractures


@dataclass(frozen=True)
class Answers:
    """Normalised checklist answers (the slot values of screening_form)."""

    fracture_found: str = "unsure"        # yes | no | unsure
    fracture_cause: str = "unknown"       # osteoporosis | cancer | injury | unknown
    pain_limits: str = "unsure"           # yes | no | unsure
    mri_active: str = "unknown"           # yes | no | no_mri | unknown
    osteoporosis_treated: str = "unknown"  # yes | no | unknown
    # yes | no | unsure (asked again one by one, then told to call 911 if any applies)
    warning_signs: str = "no"
    # none | infection | bleeding | both | unsure; not_asked when the checklist
    # ended before it (no known fracture): no flag for a question never asked
    risk_conditions: str = "not_asked"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    notes: List[Note] = field(default_factory=list)

    @property
    def flagged_for_care_team(self) -> bool:
        return Note.RISK_FLAG in self.notes


def decide(answers: Answers) -> Result:
    if answers.warning_signs == "yes":
        return Result(Outcome.EMERGENCY)
    return Result(_outcome(answers), _notes(answers))


def _outcome(a: Answers) -> Outcome:
    # the most cautious applicable outcome wins, in this order
    if a.fracture_found != "yes":
        return Outcome.NO_KNOWN_FRACTURE
    if a.pain_limits != "yes":
        return Outcome.NOT_PAINFUL
    if a.mri_active == "no":
        return Outcome.CHRONIC
    if a.mri_active != "yes":
        return Outcome.NEEDS_MRI
    return Outcome.COMMONLY_CONSIDERED


def _notes(a: Answers) -> List[Note]:
    notes: List[Note] = []
    if a.fracture_found == "yes" and a.fracture_cause in ("injury", "unknown"):
        notes.append(Note.CAUSE)
    if a.fracture_cause == "osteoporosis" and a.osteoporosis_treated != "yes":
        notes.append(Note.BONE_DENSITY)
    if a.risk_conditions in ("infection", "bleeding", "both", "unsure"):
        notes.append(Note.RISK_FLAG)
    return notes


def answers_from_slots(slots: dict) -> Answers:
    """Builds Answers from slot values, defaulting missing ones to 'not sure'."""
    defaults = Answers()
    values = {
        name: (slots.get(name) if slots.get(name) is not None else getattr(defaults, name))
        for name in Answers.__dataclass_fields__
    }
    return Answers(**values)


def outcome_response(outcome: Outcome) -> Optional[str]:
    return None if outcome is Outcome.EMERGENCY else f"utter_screening_outcome_{outcome.value}"
