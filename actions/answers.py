"""Understanding checklist answers, from buttons or in the person's own words.

Buttons send intent payloads (`/affirm`, `/inform{"choice": "injury"}`), which
are exact. Free text is read from the recognised intent, the project's spaCy
entities (`condition`, `time`, `warning_sign`) and a few plain word lists.
Every reader returns a normalised value, or None when it cannot tell.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional

from bot.answer_words import NO, UNSURE, YES

Message = Dict[str, Any]  # tracker.latest_message


def _text(message: Message) -> str:
    return " ".join(str(message.get("text") or "").lower().split())


def _intent(message: Message) -> Optional[str]:
    return (message.get("intent") or {}).get("name")


def _entities(message: Message, entity: str) -> List[str]:
    return [str(e.get("value", "")).lower() for e in message.get("entities") or [] if e.get("entity") == entity]


def button_choice(message: Message) -> Optional[str]:
    choices = _entities(message, "choice")
    return choices[0] if choices else None


def _matches(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


def yes_no_unsure(message: Message) -> Optional[str]:
    """'yes' | 'no' | 'unsure', from the words first (short answers), then the intent."""
    text = _text(message)
    if _matches(UNSURE, text):
        return "unsure"
    said_no, said_yes = _matches(NO, text), _matches(YES, text)
    if said_no and not said_yes:
        return "no"
    if said_yes and not said_no:
        return "yes"
    return {"affirm": "yes", "deny": "no", "unsure": "unsure"}.get(_intent(message) or "")


def fracture_found(message: Message) -> Optional[str]:
    answer = button_choice(message) or yes_no_unsure(message)
    if answer is None and (_entities(message, "time") or "compression fracture" in _entities(message, "condition")):
        return "yes"  # "3 weeks ago", "they found a compression fracture"
    return answer if answer in ("yes", "no", "unsure") else None


CAUSE_WORDS = {
    "cancer": r"\b(cancer|tumou?rs?|myeloma|lesions?|metasta\w*|lymphoma|growths?|mass)\b",
    "osteoporosis": r"\b(osteop\w*|weak bones?|brittle|thin bones?|bone density|bone loss)\b",
    "injury": r"\b(fell|fall|falls|fallen|accident|injury|injured|trauma|crash|lifting|lifted|slipped|tripped|hit)\b",
}


def fracture_cause(message: Message) -> Optional[str]:
    choice = button_choice(message)
    if choice in ("osteoporosis", "cancer", "injury", "unknown"):
        return choice
    text = _text(message)
    for cause, pattern in CAUSE_WORDS.items():  # cancer first: the most specific
        if _matches(pattern, text):
            return cause
    if yes_no_unsure(message) in ("unsure", "no"):
        return "unknown"
    return None


ASKS_WHAT_MRI_IS = r"(what('?s| is| does)\b.*\b(mri|that|mean|active|acute|chronic))|(don'?t|do not|dont) (understand|get it|know what)|\bmeaning\b|explain"
NO_MRI = r"\b(no|not|never|haven'?t|hasn'?t|didn'?t)\b.*\b(mri|scan)\b|\bno mri\b|\bnot yet\b|\bscheduled\b|\bwaiting\b"
ACTIVE = r"\b(active|acute|subacute|new|fresh|recent)\b"
CHRONIC = r"\b(old|chronic|healed|not active|inactive|set already|already healed)\b"


def mri_active(message: Message) -> Optional[str]:
    """'yes' | 'no' | 'no_mri' | 'unknown' | 'explain' (asked what it means), or None."""
    choice = button_choice(message)
    if choice in ("yes", "no", "no_mri", "unknown", "explain"):
        return choice
    text = _text(message)
    if _matches(ASKS_WHAT_MRI_IS, text):
        return "explain"
    if _matches(CHRONIC, text):
        return "no"
    if _matches(NO_MRI, text):
        return "no_mri"
    if _matches(ACTIVE, text):
        return "yes"
    answer = yes_no_unsure(message)
    return {"yes": "yes", "no": "no", "unsure": "unknown"}.get(answer or "")


def osteoporosis_treated(message: Message) -> Optional[str]:
    answer = button_choice(message) or yes_no_unsure(message)
    return {"yes": "yes", "no": "no", "unsure": "unknown", "unknown": "unknown"}.get(answer or "")


def warning_signs(message: Message) -> Optional[str]:
    if _entities(message, "warning_sign") or _intent(message) == "emergency":
        return "yes"
    answer = button_choice(message) or yes_no_unsure(message)
    # "not sure" is not an emergency verdict: the checklist lists the signs one
    # by one, then says "if you have any of these, call 911 now" (actions/screening.py)
    return answer if answer in ("yes", "no", "unsure") else None


INFECTION = r"\b(infect\w*|fever)\b"
BLEEDING = r"\b(bleed\w*|blood thinners?|thinners?|clotting|warfarin|coumadin|eliquis|apixaban|xarelto|rivaroxaban|plavix|clopidogrel|heparin|pradaxa|aspirin|hemophilia)\b"


def risk_conditions(message: Message) -> Optional[str]:
    """'none' | 'infection' | 'bleeding' | 'both' | 'unsure', or None."""
    choice = button_choice(message)
    if choice in ("none", "infection", "bleeding", "both", "unsure"):
        return choice
    text = _text(message)
    infection, bleeding = _matches(INFECTION, text), _matches(BLEEDING, text)
    if infection and bleeding:
        return "both"
    if infection:
        return "infection"
    if bleeding:
        return "bleeding"
    answer = yes_no_unsure(message)
    if answer == "no":
        return "none"
    if answer in ("unsure", "yes"):  # "yes" without saying which: the care team asks
        return "unsure"
    return None


def consent(message: Message) -> Optional[bool]:
    answer = button_choice(message) or yes_no_unsure(message)
    if answer == "yes":
        return True
    if answer in ("no", "unsure"):
        return False
    if _intent(message) == "stop":
        return False
    return None


def first_of(values: Iterable[Optional[str]]) -> Optional[str]:
    return next((v for v in values if v is not None), None)
