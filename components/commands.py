"""Requests about the conversation itself, read by rule and never learned.

(Also "go back" in the screening checklist: a request to change the previous
answer, just as short and fixed, and read here for the same reason.)

"Where does that come from?" and "that was helpful" are not questions about
kyphoplasty; they are commands about the last answer, and their wording is
short and fixed. Learning them would cost more than it gives: every intent
added to the classifier shifts the probabilities the safety guard reads, and
adding `ask_source` as a learned intent cost one caught emergency on a blind
set (docs/design.md, "Commands read by rule"). So an intent listed in
RULE_READ_INTENTS is kept out of the answer classifier's and the safety
detector's training, and this component sets it when the whole message is
one of its phrasings. Its examples in data/nlu/commands.yml exist for Rasa's
data validation and as the phrasings this reader must accept
(tests/components/test_commands.py).

Safety runs after this component: a message that is one of these phrasings
cannot also be an emergency, but the guard still has the last word.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Pattern, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.intent_override import put_first
from components.message_focus import sentences
from components.short_replies import normalise

# Optional words around a command that change nothing: "ok where does that come from please".
_OPENING = r"(?:(?:ok|okay|and|but|so|sorry|hmm|um|wait|thanks|thank you) )*"
_CLOSING = r"(?: (?:please|pls|then|exactly|again|thanks|thank you))*"


def _whole(pattern: Text) -> Pattern[Text]:
    return re.compile(rf"^{_OPENING}(?:{pattern}){_CLOSING}$")


_THAT = r"(?:that|this|it|that answer|this answer|that info|that information|this information)"
_ASK_SOURCE = _whole("|".join([
    rf"(?:where|what) (?:does|did|do) {_THAT} (?:come|comes) from",
    rf"where (?:is|was|s) {_THAT} from",
    rf"where(?:'s| is) {_THAT} (?:coming )?from",
    rf"where (?:did|do) you (?:get|find|read|take) {_THAT}(?: from)?",
    rf"where (?:did|does) {_THAT} (?:say|come from)",
    rf"(?:what|whats|what's|what is) (?:your|the) sources?(?: for {_THAT})?",
    rf"(?:can|could) (?:you|i) (?:show|see|have|get) (?:me )?(?:the|your) sources?(?: for {_THAT})?",
    r"(?:show (?:me )?)?(?:the |your )?sources?",
    r"cite (?:it|that|your source)|citation",
    rf"says who|who says(?: so| {_THAT})?|according to (?:who|whom|what)",
    rf"how do you know {_THAT}",
    rf"is {_THAT} (?:from|in) (?:the|a|your) (?:document|leaflet|source)",
]))
_HELPFUL = _whole(r"(?:that was |that s |thats |that's |it was |very |really )?(?:helpful|useful)"
                  r"|(?:that )?helped|(?:that|it) (?:helped|helps)(?: a lot)?")
_NOT_HELPFUL = _whole(r"(?:that was |that s |thats |that's |it was |it s |its |it's |was )?not (?:very )?(?:helpful|useful)"
                      r"|(?:that|it) (?:didn'?t|didn t|did not|does not|doesn'?t|doesn t) help(?: me)?|unhelpful")

# "Go back" inside the checklist: change the previous answer. Whole messages
# only, so "my back hurts" or "back pain" never read as a command.
_GO_BACK = _whole("|".join([
    r"(?:go|going|step) back(?: (?:a|one) (?:question|step))?(?: to (?:the )?(?:last|previous) (?:question|one|answer))?",
    r"back",
    r"(?:can|could|may) (?:i|we) (?:go back|change (?:my|the) (?:last|previous) answer|undo (?:that|my (?:last )?answer))",
    r"(?:i want to |i d like to |i'd like to |let me )?change (?:my|the|that) (?:last |previous )?answer",
    r"i (?:made|make) a mistake|(?:oops |sorry )?(?:that was|that s|that's|thats) (?:a mistake|wrong)|wrong answer",
    r"i (?:meant|mean) to (?:say|answer) (?:something else|the other one)",
    r"(?:the )?previous question|(?:the )?last question(?: again)?",
    r"undo(?: that| my (?:last )?answer)?",
]))

# Starting the checklist, said as a request in the whole message: "lets do the
# quiz thing", "take the screening test", "screen my mom". `screening` is also
# learned (stories that end "could it help her?" need the classifier); these
# phrasings are read here too because a request this plain must never miss
# (the checklist's button label is one of them).
_SCREENING_NOUN = (r"(?:quick |short |little |eligibility |screening |kyphoplasty )*"
                   r"(?:check ?list|screening|screener|quiz|questionnaire|assessment|eligibility check|self check|"
                   r"survey)(?: (?:thing|test|questions|quiz))?")
_SCREENING_REQUEST = _whole("|".join([
    rf"(?:(?:let s|lets|let us|i want to|i wanna|i d like to|i would like to|i need to|can i|can we|could i|"
    rf"could we|may i|how do i|how can i|where do i|where can i) )?(?:do|take|start|begin|try|run|fill in|fill out|"
    rf"go through|complete|have|give me|show me|open|redo|restart)(?: the| a| your| that| this| my)? {_SCREENING_NOUN}"
    rf"(?: (?:for|with|about|on) (?:me|her|him|them|us|my \w+(?: in law)?))?(?: now)?",
    rf"(?:the |a |your )?{_SCREENING_NOUN}(?: (?:for|with) (?:me|my \w+))?",
    r"screen (?:me|her|him|them|us|my \w+(?: in law)?)(?: (?:for|about) (?:kyphoplasty|this|it|the procedure))?",
]))

# Asking for a person, in any one sentence of a message: "Could a nurse call me
# tomorrow? I work nights so anytime after 10am is best." The classifier reads
# the whole message, and the story around a request pulls it towards
# `not_covered`; components/answer_scope.py hands such a message to a person
# (`handoff`) instead of saying it has no answer. Requests only: "the nurse will
# call me", "should I call my doctor?" are not.
_PERSON = (r"(?:a |an |the |one of the |one of your |your |my |someone |somebody |anyone |a real |an actual )*"
           r"(?:real |actual |human |live )?(?:nurse|nurses|doctor|doctors|surgeon|surgeons|staff|person|human|"
           r"someone|somebody|anyone|care team|office|clinic|practice|team|receptionist)"
           r"(?: (?:from|at|in) (?:the |your |my )?(?:office|clinic|practice|hospital|team))?")
_ASKS_FOR_A_PERSON = re.compile("|".join([
    rf"\b(?:can|could|would|will you have|can you have|please have|can you get|could you get|please ask) (?:you|{_PERSON}) "
    r"(?:please )?(?:(?:call|ring|phone|text|contact|get back to|reach out to) (?:me|us|my \w+|her|him)|"
    r"give (?:me|us) a (?:call|ring))\b",
    r"\b(?:please |pls )?(?:call|ring|phone) me(?: back)?(?: please)?$",
    r"\b(?:call|ring|phone) me back\b",
    r"\b(?:get|arrange|set up|book|request|schedule) (?:me )?(?:a )?(?:call ?back|phone call|call from)\b",
    rf"\b(?:i|we)(?:'d| would)? (?:want|wanna|need|like|prefer|rather) (?:to )?"
    rf"(?:talk|speak|chat) (?:to|with) {_PERSON}\b",
    rf"\b(?:can|could|may) (?:i|we) (?:please )?(?:talk|speak|chat) (?:to|with) {_PERSON}\b",
    rf"\b(?:how|where) (?:do|can|could|should) (?:i|we) (?:reach|contact|call|phone|get hold of|get in touch with) {_PERSON}",
    rf"\b(?:put|connect|transfer) (?:me )?(?:through )?(?:to|with) {_PERSON}\b",
]))


def asks_for_a_person(text: Text) -> bool:
    """True when one sentence of the message asks for a call or a person."""
    return any(_ASKS_FOR_A_PERSON.search(normalise(sentence)) for sentence in sentences(text or ""))


# intent -> (pattern, entities the reading adds)
READINGS: List[Tuple[Text, Pattern[Text], List[Dict[Text, Any]]]] = [
    ("ask_source", _ASK_SOURCE, []),
    ("feedback", _HELPFUL, [{"entity": "helpful", "value": "yes"}]),
    ("feedback", _NOT_HELPFUL, [{"entity": "helpful", "value": "no"}]),
    ("go_back", _GO_BACK, []),
    ("screening", _SCREENING_REQUEST, []),
]
# Kept out of the classifiers' training (components/answer_classifier.py,
# components/safety_guard.py): read here, never learned. `screening` is
# learned as well as read.
RULE_READ_INTENTS = frozenset(intent for intent, _, _ in READINGS) - {"screening"}


def read_command(text: Text) -> Optional[Tuple[Text, List[Dict[Text, Any]]]]:
    """(intent, entities) when the whole message is a command's phrasing, else None."""
    words = normalise(text)
    if not words or len(words) > 80:
        return None
    for intent, pattern, entities in READINGS:
        if pattern.match(words):
            return intent, [dict(entity, extractor="CommandReader", start=0, end=len(text or ""))
                            for entity in entities]
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class CommandReader(GraphComponent, IntentClassifier):
    """Sets ask_source / feedback / go_back for a message that is exactly such a request."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [IntentClassifier]

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> CommandReader:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            reading = read_command(message.get(TEXT) or "")
            if reading is None:
                continue
            intent, entities = reading
            put_first(message, intent)
            if entities:
                message.set(ENTITIES, (message.get(ENTITIES) or []) + entities, add_to_output=True)
        return messages
