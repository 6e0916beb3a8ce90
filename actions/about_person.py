"""Whom the checklist is about, read from the conversation's own words.

Older patients often come with a son, a daughter or a husband typing for them:
"is kyphoplasty right for my mom?". Asking that caregiver "Do you have..."
is wrong, and the outside testers saw it. This small reader finds "my mom",
"my 82-year-old father", "for my husband" in the message that starts the
checklist, or else in the few messages before it, and gives the word the
person used (e.g. "mom"), or None when the checklist is about the person
typing. The start action sets `about_person` to that word and `checklist_for`
to self / someone_else, on which the questions' response variations in
domain/screening.yml are conditioned ("Does your {about_person} have..."). No sentence
is built here.

Rule-based on purpose: a handful of family words is all it needs to know, and
a wrong guess only changes pronouns, never what is asked.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Text

# The words for a person someone may be asking for. Each reads well after
# "your" in a question: "Does your mother-in-law have...".
RELATIONS = [
    "mom", "mum", "mother", "mommy", "mama", "mother in law", "wife", "daughter", "sister",
    "grandmother", "grandma", "granny", "aunt", "girlfriend",
    "dad", "father", "daddy", "papa", "father in law", "husband", "son", "brother",
    "grandfather", "grandpa", "uncle", "boyfriend",
    "partner", "friend", "neighbor", "neighbour", "parent", "spouse", "relative",
]
# "mother in law" is said and shown with its hyphens
SHOWN = {"mother in law": "mother-in-law", "father in law": "father-in-law"}

_RELATION = "|".join(sorted((re.escape(word) for word in RELATIONS), key=len, reverse=True))
# "my mom", "my 82 year old father", "my elderly mother", "our dad"; up to three
# describing words between "my" and the relation.
_MY_RELATION = re.compile(rf"\b(?:my|our) (?:[a-z0-9]+ ){{0,3}}?({_RELATION})\b")
# The person speaks of their own body: "my back", "I have", "for me". Only used
# when the message names no relation.
_ABOUT_SELF = re.compile(r"\b(?:for me|myself|am i|i am|i m|im|i have|i ve|i had|my (?:back|spine|bones?|pain|fracture))\b")
# How many earlier messages are searched when the starting message names nobody.
EARLIER_MESSAGES = 4


def _normalise(text: Text) -> Text:
    text = (text or "").lower().replace("’", "'")
    text = re.sub(r"[-_]", " ", text)
    text = re.sub(r"'", " ", text)
    return re.sub(r"[^a-z0-9 ]+", " ", text).strip()


SELF = ""


def read_person(text: Text) -> Optional[str]:
    """The relation `text` is about ("mom"), SELF ("") when it is about the
    writer ("my back", "for me"), None when it does not say."""
    words = _normalise(text)
    found = _MY_RELATION.search(words)
    if found:
        return SHOWN.get(found.group(1), found.group(1))
    if _ABOUT_SELF.search(words):
        return SELF
    return None


def about_whom(user_texts: Iterable[Text]) -> Optional[str]:
    """From the user's messages, newest first: the first that says whom it is
    about decides; nobody named means the person is asking for themselves (None)."""
    for index, text in enumerate(user_texts):
        if index > EARLIER_MESSAGES:
            break
        reading = read_person(text)
        if reading is not None:
            return reading or None
    return None


def user_texts_newest_first(events: List[Dict[str, Any]]) -> List[Text]:
    """The user's typed messages of this session, newest first (button payloads
    such as "/screening" say nothing about whom)."""
    texts: List[Text] = []
    for event in reversed(events):
        if event.get("event") == "session_started":
            break
        if event.get("event") == "user":
            text = event.get("text") or ""
            if text and not text.startswith("/"):
                texts.append(text)
    return texts
