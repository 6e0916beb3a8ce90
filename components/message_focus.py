"""Which part of a message a reply should answer, and in what context a safety word stands.

Patients and caregivers often tell a story before they ask ("My mom is 84, she
fell in March, the doctor found a fracture... what do they actually do in the
operation?"). The story's words pull a whole-message classifier towards the
wrong answer, so answer choice looks at the *question sentence*, while safety
looks at *every* sentence. Safety words also need their context: "no fever, no
pus", "tingling for years from old sciatica" and "what if I lose bladder
control?" name a warning sign without reporting one now.

Plain functions on text, no Rasa imports: the NLU components and the tests use them.
"""
from __future__ import annotations

import re
from typing import List, Optional

# A sentence ends at . ! ? or a line break; "Dr." and decimals are rare enough here.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_QUESTION_START = re.compile(
    r"^(what|whats|what's|how|hows|how's|why|when|where|who|which|is|are|am|was|will|would|can|could|"
    r"do|does|did|should|shall|may|might|has|have|any|tell me|explain|wondering|i wonder|i want to know|"
    r"i'd like to know|please)\b",
    re.IGNORECASE,
)


# A question asked without a question mark or a question word first: "I'm just
# curious what the cement is made of".
_INDIRECT_QUESTION = re.compile(
    r"\b(wondering|wonder|wondered|curious|(want|wanted|like|need) to know|my question|question is|"
    r"(can|could|would) you (tell|explain))\b",
    re.IGNORECASE,
)
# ...and a request for information: "any tips", "info on recovery please".
_INFORMATION_WANTED = re.compile(
    r"\b(tell me|explain|let me know|help me understand|any (advice|tips|ideas?)|info|information|details)\b",
    re.IGNORECASE,
)
# "cant he just stay in bed?", "don't I need an MRI first": a question, though
# "cant sleep at night" is not.
_NEGATIVE_QUESTION_START = re.compile(
    r"^(can't|cant|cannot|couldn't|couldnt|won't|wont|wouldn't|wouldnt|isn't|isnt|aren't|arent|"
    r"doesn't|doesnt|don't|dont|shouldn't|shouldnt) (i|he|she|they|we|you|it|my \w+)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[,;:]\s*|\s+(?:and|but|so)\s+", re.IGNORECASE)


def sentences(text: str) -> List[str]:
    """The message's sentences, in order, without empty pieces."""
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s and s.strip()]


def is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or bool(_QUESTION_START.match(sentence.strip()))


def asks_indirectly(text: str) -> bool:
    """A question mark, or a question put as "I'm wondering / curious / want to know"."""
    return "?" in (text or "") or bool(_INDIRECT_QUESTION.search(text or ""))


def asks_something(text: str) -> bool:
    """Any sentence or clause of the message asks something, with a question
    mark or without ("my back is sore, can kyphoplasty help", "just curious
    what the cement is made of"). A message that asks nothing reports."""
    if asks_indirectly(text) or _INFORMATION_WANTED.search(text or ""):
        return True
    clauses = [c.strip() for s in sentences(text) for c in _CLAUSE.split(s) if c and c.strip()]
    return any(is_question(c) or _NEGATIVE_QUESTION_START.match(c) for c in clauses)


def question_focus(text: str, min_sentences: int = 2) -> str:
    """The sentence the person wants answered: the last question, else the last sentence.

    A message of fewer than `min_sentences` sentences is its own focus.
    """
    parts = sentences(text)
    if len(parts) < min_sentences:
        return (text or "").strip()
    questions = [s for s in parts if is_question(s)]
    return questions[-1] if questions else parts[-1]


# --- context of a safety word -------------------------------------------------

# A negation shortly before the word, inside the same clause: "no fever", "not numb",
# "without any pus", "never lost control".
_NEGATION = re.compile(
    r"\b(no|not|never|without|none|nor|neither|denies|deny|free of|isn't|isnt|aren't|arent|"
    r"wasn't|wasnt|don't|dont|doesn't|doesnt|didn't|didnt|haven't|havent|hasn't|hasnt|"
    r"no sign of|no signs of|zero|nothing)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"[,;:]|\b(but|and|although|though|however|yet|except)\b", re.IGNORECASE)
# Something long-standing or past, not new: "for years", "old sciatica", "last year".
_HISTORY = re.compile(
    r"\b(for (many |several |a few |\d+ |two |three |four |five |ten |twenty )?(years|decades)|"
    r"\d+ years|years (ago|now)|last year|a year ago|used to|in the past|ever since i was|"
    r"((\d+|a few|few|several|two|three|four|five|six|seven|eight|nine|ten|a couple of|couple of) (weeks|months) ago)|"
    r"last (month|spring|summer|autumn|fall|winter)|back in (january|february|march|april|may|june|july|august|september|october|november|december|the)|"
    r"since (childhood|i was)|all my life|always (had|have)|old (injury|sciatica|problem)|"
    r"long[- ]standing|chronic sciatica|from sciatica|my sciatica|back in (19|20)\d\d|in (19|20)\d\d|"
    r"before (the|my|his|her) (surgery|procedure|operation|op|kyphoplasty)|for (weeks|months) (after|before)|"
    r"(it|that|they|which) (settled|cleared|went away|got better|resolved)|settled (down|eventually)|"
    r"(hasn't|hasnt|has not|haven't|havent) (bothered|troubled|come back)|"
    r"last (christmas|thanksgiving|easter|new year|new year's|birthday|holidays?|vacation)|"
    r"turned out (to be|it was))\b",
    re.IGNORECASE,
)
# Asking about a risk or a sign rather than reporting one: "what if I lose bladder control?"
_HYPOTHETICAL = re.compile(
    r"\b(what if|if (i|you|he|she|they|my|mom|dad) (ever |later |then )?(get|gets|got|have|has|had|lose|loses|start|starts|develop|develops|feel|feels|notice|notices)|"
    r"in case|(could|can|would|will|might|does) (it|this|that|kyphoplasty|the procedure|the cement|the surgery|the operation) "
    r"(ever |possibly |also )?(cause|lead|make|give|result|leave)|"
    r"does (it|this|kyphoplasty|the procedure|the cement) (cause|lead)|"
    r"risk of|risks of|chance of|chances of|signs of|symptoms of|sign of|symptom of|"
    r"what (are|is) the (warning )?(signs|symptoms)|which (signs|symptoms)|"
    r"(watch|look) (out )?for|when (should|do) (i|we) (call|go|worry)|"
    r"how (would|do|can|will|should|could|does) (i|we|you|one|she|he|they) (know|tell|recogni[sz]e|spot|notice) (if|whether|when|that)|"
    r"is there a risk|possible (to|that)|would (i|it|that) (be|mean)|"
    # a question about the sign itself: "is chest pain a side effect of kyphoplasty?"
    # (not "my chest hurts, is that a side effect?": that reports it)
    r"^(is|are|can|could|does|do|would|will)\b.*\b(a|an|the|any) (side effects?|complications?|risks?) (of|from|after)|"
    # quoting written instructions: "the discharge sheet says to call 911 for chest pain"
    r"(sheet|paper|papers|paperwork|leaflet|instructions|handout|booklet|pamphlet|website)\b.*\b"
    r"(says|said|say|tells you|told us|told me) (to )?(call|go|phone|watch|look out))\b",
    re.IGNORECASE,
)
# A report of now overrides a hypothetical framing: "what if my legs are numb right now?"
_NOW = re.compile(
    r"\b(now|right now|today|tonight|this morning|this afternoon|this evening|since (yesterday|this|last night|the)|"
    r"just (now|started|happened)|suddenly|currently|started|is getting|keeps|(hour|hours|minutes|mins) ago|"
    r"in the last (hour|few hours)|since (lunch|breakfast|dinner|i woke up)|woke up)\b",
    re.IGNORECASE,
)


# Words that say a sentence is not meant literally ("dead on my feet, not
# literally"), and idioms that borrow an alarming word for a bill ("I nearly
# fainted at the price"). Not "lol": people write it nervously about real things.
_FIGURATIVE = re.compile(
    r"\b(not literally|figure of speech|figuratively|just kidding|only kidding|joking)\b|"
    r"\bdead on (my|his|her|their|our) feet\b|"
    r"\b(nearly|almost) (fainted|passed out|had a heart attack|died|keeled over|collapsed)\b.*"
    r"\b(price|prices|bill|bills|cost|costs|charged|charge|charges|quote|quoted|invoice|paperwork|statement)\b",
    re.IGNORECASE,
)


# The writer says plainly that nothing alarming is happening: "no fever, legs
# are fine", "I'm feeling fine", "nothing new". It weighs against the detector
# (a score on the embedding), never against a warning sign the rules read.
_REASSURANCE = re.compile(
    r"\b(no fever|no temperature|legs are fine|nothing (new|is wrong|wrong|alarming|worrying)|"
    r"not in bad pain|no accidents|no (real )?(numbness|weakness|bleeding|redness|swelling|pus)|"
    r"(i'm|im|i am|she's|shes|he's|hes|she is|he is|i feel|feeling|she feels|he feels) (otherwise )?(fine|ok|okay|well))\b",
    re.IGNORECASE,
)


def _clause_before(sentence: str, start: int) -> str:
    before = sentence[:start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    return before[breaks[-1].end():] if breaks else before


def is_negated(text: str, start: int, window_words: int = 4) -> bool:
    """A negation among the few words before `start`, in the same clause."""
    clause = _clause_before(text, start)
    words = clause.split()[-window_words:]
    return bool(_NEGATION.search(" ".join(words)))


# A negated "to be" inside the phrase itself: "legs aren't weak", "feet are not
# numb". Not "can't feel my legs", "I don't feel my legs" or "no feeling in my
# legs": those phrases are the warning signs.
_NEGATED_STATE = re.compile(
    r"\b(aren't|arent|isn't|isnt|wasn't|wasnt|weren't|werent|(are|is|was|were|am) not)\b",
    re.IGNORECASE,
)


def is_negated_within(phrase: str) -> bool:
    """The phrase states the opposite of the sign it names ("legs aren't weak")."""
    return bool(_NEGATED_STATE.search(phrase))


def sentence_at(text: str, start: int) -> str:
    """The sentence that contains character offset `start`."""
    offset = 0
    for piece in re.split(r"((?<=[.!?])\s+|\n+)", text or ""):
        if offset <= start < offset + len(piece):
            return piece
        offset += len(piece)
    return text or ""


def is_history(sentence: str) -> bool:
    return bool(_HISTORY.search(sentence))


def is_figurative(sentence: str) -> bool:
    """An alarming word used as a figure of speech, said so or in a known idiom."""
    return bool(_FIGURATIVE.search(sentence))


def is_reassured(text: str) -> bool:
    """The message says nothing alarming is happening ("no fever, legs are fine")."""
    return bool(_REASSURANCE.search(text))


def is_hypothetical(sentence: str) -> bool:
    return bool(_HYPOTHETICAL.search(sentence)) and not _NOW.search(sentence)


def not_reported_now(sentence: str) -> Optional[str]:
    """Why a sentence reports nothing happening now (told as history, as a
    question about a risk, or as a figure of speech), or None if it may."""
    if is_history(sentence):
        return "history"
    if is_hypothetical(sentence):
        return "asking about a risk"
    if is_figurative(sentence):
        return "figure of speech"
    return None
