"""Answerability: is the question really one that the chosen answer covers?

A classifier over the catalogue always has a nearest answer, so without this
step "is the cement permanent or does it wear out?" gets the cement-leakage
answer and "recovery after keyhole gallbladder removal?" the kyphoplasty
recovery answer. This step is an open-set check on the question itself:

- each answer declares what it covers: components/answer_scope.yml lists the
  facets of a question that the source document never addresses (cost,
  driving, exercises, braces, medicines, how long the cement lasts...) and the
  few answers that do speak to one; a question sentence (the story before it
  is context: components/message_focus.py) that asks about an undeclared facet
  gets `not_covered`, whatever answer its words are nearest to;
- a question that names another operation (hip, knee, cataract...) and nothing
  about the spine is `out_of_scope`;
- a low-confidence message (`nlu_fallback`) whose nearest training example is
  an unanswerable one gets that honest reply, rather than "could you rephrase?";
- a message with no answer that asks for a person in one of its sentences
  ("Could a nurse call me tomorrow? I work nights...") is handed to the care
  team (`handoff`, components/commands.py reads the request).

An open-set distance check (the chosen answer's nearest examples against the
nearest unanswerable ones) was measured too and cost more right answers than
it saved false ones (docs/design.md), so it is not used for answers.
What it measured is kept on the message (`answer_scope`).
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Text

import numpy as np
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
)
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RESPONSE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components import message_focus
from components.commands import asks_for_a_person
from components.intent_override import put_first
from components.safety_guard import DEMOTED, SAFETY_KEY
from components.sentence_featurizer import unit_embedding

logger = logging.getLogger(__name__)

NOT_COVERED = "not_covered"
OUT_OF_SCOPE = "out_of_scope"
UNANSWERABLE = (NOT_COVERED, OUT_OF_SCOPE)
SCOPE_KEY = "answer_scope"
EXAMPLES_FILE = "answer_scope.npz"
SCOPE_FILE = Path(__file__).resolve().parent / "answer_scope.yml"
OTHER_PROCEDURES = "other_procedures"
SYMPTOM = "symptom"


def _alternation(patterns: List[Text]) -> "re.Pattern[str]":
    return re.compile(r"\b(" + "|".join(f"(?:{p})" for p in patterns) + r")\b", re.IGNORECASE)


SCREENING = "screening"
HANDOFF = "handoff"
# Facets a screening request may well name ("is she too old?", "too late?"):
# the checklist is the honest next step for those.
SCREENING_FACETS = {"limits_in_numbers", "timing_after_fracture", "other_conditions"}
# What patients call the procedure: "kyphoplasty", "the procedure", "the balloon
# cement thing", "the back op".
_PROCEDURE = (r"(?:kyphoplasty|vertebroplasty|it|this|the procedure|the operation|the surgery|the treatment|"
              r"the (?:(?:balloon|cement|back|spine|spinal|bone|kypho) ){1,3}(?:thing|procedure|operation|surgery|op|"
              r"treatment|fix))")
# What a request to be checked sounds like, in the question sentence itself.
_SCREENING_CUE = re.compile(
    r"\b(candidate|qualify|qualifies|eligible|right for|suit|suitable|option|good fit|checklist|screen|screening|"
    rf"quiz|questionnaire|(could|would|will|can) {_PROCEDURE} (help|work|fix)|"
    r"(can|could|should) (i|he|she|they|my \w+) (have|get|be)|for me|for (her|him|them|my \w+)\?)",
    re.IGNORECASE,
)
# A question asking whether kyphoplasty would suit this person: the checklist's job.
_CHECK_ME = re.compile(
    rf"\b((is|would|could|might) (?:{_PROCEDURE}|that) (be )?(something |an option |right |suitable |"
    r"a good idea |worth it )?for (me|her|him|them|us|my \w+)|right (kind of )?(patient|person)|"
    r"(a |good |suitable )+candidate|(do|does|would|could) (i|he|she|they|my \w+) qualify|am i eligible|"
    rf"(is|would) (she|he|my \w+) be eligible|(could|would|can|will) {_PROCEDURE} help (me|her|him|them|my \w+)|"
    r"(know|tell|find out|see|check) (if|whether) (i|he|she|they|we|my \w+) (could|can|would|might|should|will) "
    r"(have|get|qualify|be a candidate|be eligible)|"
    r"(is|are|am) (he|she|i|they|my \w+) (someone|somebody|a person|the (kind|type|sort) of (person|patient)) "
    r"(who|that) (might|could|would|may|will) (qualify|benefit|be eligible|be helped))\b",
    re.IGNORECASE,
)
# General answers about who kyphoplasty suits (and whether age rules it out):
# asked about oneself or a relative in a candidate's words, the checklist answers.
PERSONAL_ELIGIBILITY = {"eligibility/indications", "eligibility/not_suitable", "eligibility/older_patients"}
# Words that tell of someone's state: a person, or "is / feels / has been".
_TOLD = re.compile(
    r"\b(i|i'm|im|i've|ive|my|me|we|our|he|she|he's|hes|she's|shes|his|her|mum|mom|dad|husband|wife|son|"
    r"daughter|is|are|was|were|feels?|felt|feeling|been|it's)\b",
    re.IGNORECASE,
)
# A question that refers to something named just before it.
_POINTS_BACK = re.compile(r"\b(those|these|them|that one|either of them)\b", re.IGNORECASE)


def _asked(pattern: "re.Pattern[str]", sentence: Text) -> bool:
    """The facet is named and not negated: "never had any leg numbness, I was
    just wondering whether the balloon lifts the bone" asks about the balloon."""
    return any(not message_focus.is_negated(sentence, match.start()) for match in pattern.finditer(sentence))


class ScopeRules:
    """components/answer_scope.yml: what no answer covers, and the exceptions."""

    def __init__(self, path: Path = SCOPE_FILE) -> None:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        self.facets = {name: _alternation(words) for name, words in spec["uncovered"].items()}
        self.covered_by = {answer: set(facets) for answer, facets in (spec.get("answers_cover") or {}).items()}
        shared = set(spec.get("shared_words") or [])
        self.domain = _alternation([w for w in spec["domain_words"] if w not in shared])
        self.low_mood = _alternation(spec["low_mood"])

    def facets_asked(self, text: Text) -> Set[Text]:
        """Facets named in the message's question sentences (the whole text if it has none).

        A question that points back ("is it safe to stop those?") is read with
        the sentence before it, where "those" were named."""
        parts = message_focus.sentences(text)
        questions = []
        for i, part in enumerate(parts):
            if message_focus.is_question(part):
                questions.append(part)
                if i and _POINTS_BACK.search(part):
                    questions.append(parts[i - 1])
        questions = questions or [text]
        return {name for name, pattern in self.facets.items()
                if any(_asked(pattern, q) for q in questions)}

    def beyond_checklist(self, text: Text) -> Set[Text]:
        """Uncovered facets a screening request would not name itself ("too old?" is the checklist's)."""
        return self.facets_asked(text) - {OTHER_PROCEDURES} - SCREENING_FACETS

    def uncovered(self, text: Text, answer: Text) -> Set[Text]:
        return self.facets_asked(text) - self.covered_by.get(answer, set()) - {OTHER_PROCEDURES}

    def is_other_procedure(self, text: Text) -> bool:
        """Names another operation and nothing about kyphoplasty or the spine."""
        return bool(self.facets[OTHER_PROCEDURES].search(text)) and not self.domain.search(text)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class AnswerScope(GraphComponent, IntentClassifier):
    """Turns a catalogue answer the question is not really about into an honest reply."""

    @classmethod
    def required_components(cls) -> List[type]:
        # Trained on the sentence embedding; placed after the intent classifiers
        # in config.yml (Rasa's training graph runs no classifier before it).
        return [DenseFeaturizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "checked_categories": ["about", "procedure", "recovery", "eligibility", "risks"],
            "scope_file": str(SCOPE_FILE),
        }

    def __init__(self, config: Dict[Text, Any], model_storage: Optional[ModelStorage] = None,
                 resource: Optional[Resource] = None, vectors: Optional[np.ndarray] = None,
                 labels: Optional[np.ndarray] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.vectors = vectors
        self.labels = labels
        self.rules = ScopeRules(Path(self.config.get("scope_file") or SCOPE_FILE))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> AnswerScope:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> AnswerScope:
        try:
            with model_storage.read_from(resource) as folder:
                stored = np.load(Path(folder) / EXAMPLES_FILE, allow_pickle=False)
                return cls(config, model_storage, resource, stored["vectors"], stored["labels"])
        except (ValueError, FileNotFoundError, OSError):
            logger.warning("Answer-scope examples missing: answers are not checked.")
            return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        vectors, labels = [], []
        for example in training_data.intent_examples:
            vector = unit_embedding(example)
            if vector is None or not example.get(INTENT):
                continue
            vectors.append(vector)
            labels.append(example.get(INTENT_RESPONSE_KEY) or example.get(INTENT))
        if vectors:
            self.vectors = np.stack(vectors).astype(np.float32)
            self.labels = np.asarray(labels)
            with self._model_storage.write_to(self._resource) as folder:
                np.savez(Path(folder) / EXAMPLES_FILE, vectors=self.vectors, labels=self.labels)
        return self._resource

    # --- inference ----------------------------------------------------------

    def process(self, messages: List[Message]) -> List[Message]:
        if self.vectors is None:
            return messages
        for message in messages:
            if message.get(TEXT) is not None:
                self._process_one(message)
                self._hand_over_if_asked(message)
                self._note_concern(message)
        return messages

    def _process_one(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        answer = self._chosen_answer(message, intent)
        if intent in UNANSWERABLE + (DEFAULT_NLU_FALLBACK_INTENT_NAME,) or answer is not None:
            if self.rules.is_other_procedure(text):
                message.set(SCOPE_KEY, {"other_procedure": True}, add_to_output=True)
                if intent != OUT_OF_SCOPE:
                    self._replace(message, OUT_OF_SCOPE)
                return
        if intent == SCREENING:
            # "Is a brace as good as the cement for her fracture?" tells a story
            # like a screening request but asks something no answer covers.
            focus = message_focus.question_focus(text)
            uncovered = self.rules.beyond_checklist(text)
            if uncovered and message_focus.is_question(focus) and not _SCREENING_CUE.search(focus):
                message.set(SCOPE_KEY, {"screening": True, "uncovered": sorted(uncovered)}, add_to_output=True)
                self._replace(message, NOT_COVERED)
            return
        if intent == NOT_COVERED and self._asks_to_be_checked(text):
            # "...the x-ray showed a fracture. Is kyphoplasty something for me?":
            # the checklist answers that, not "I have no verified answer".
            message.set(SCOPE_KEY, {"screening_request": True}, add_to_output=True)
            self._replace(message, SCREENING)
            return
        if answer in PERSONAL_ELIGIBILITY and self._asks_to_be_checked(text):
            # "is kyphoplasty right for me?": who it is for, asked about oneself
            # or a relative, is the checklist's question (the catalogue's
            # `screening` kind), not the general answer about who it suits.
            message.set(SCOPE_KEY, {"answer": answer, "screening_request": True}, add_to_output=True)
            self._replace(message, SCREENING)
            return
        if answer is not None and self._reports_without_asking(message):
            # "the spot where the needle went in is sore, it's day two": a
            # worry told, nothing asked; the access answer is not its reply
            message.set(SCOPE_KEY, {"answer": answer, "reported_not_asked": True}, add_to_output=True)
            self._replace(message, NOT_COVERED)
            return
        if answer is None and intent != DEFAULT_NLU_FALLBACK_INTENT_NAME:
            return
        uncovered = self.rules.uncovered(text, answer or "")
        if uncovered:
            message.set(SCOPE_KEY, {"answer": answer, "uncovered": sorted(uncovered)}, add_to_output=True)
            self._replace(message, NOT_COVERED)
            return
        if answer is not None:
            message.set(SCOPE_KEY, {"answer": answer, "uncovered": []}, add_to_output=True)
            return

        # nlu_fallback: the honest reply when the nearest examples of all are
        # unanswerable ones, rather than "could you ask in another way?"
        embedding = unit_embedding(message)
        if embedding is None:
            return
        similarities = self.vectors @ embedding
        best = int(np.argmax(similarities))
        nearest = str(self.labels[best])
        message.set(SCOPE_KEY, {"nearest": nearest, "similarity": round(float(similarities[best]), 4)},
                    add_to_output=True)
        if nearest in UNANSWERABLE:
            self._replace(message, nearest)
        elif (message.get(SAFETY_KEY) or {}).get(DEMOTED):
            # "she's peeing normally and has no numbness down below, her back is
            # just stiff": worded like an emergency, read in context as none; a
            # worry the care team answers, not "could you say that another way?"
            message.set(SCOPE_KEY, {**message.get(SCOPE_KEY), "safety_demoted": True}, add_to_output=True)
            self._replace(message, NOT_COVERED)

    def _hand_over_if_asked(self, message: Message) -> None:
        """No answer, but a sentence asks for a person ("Could a nurse call me
        tomorrow? I work nights..."): a person is the honest next step, not
        "I have no verified answer"."""
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        if intent in UNANSWERABLE + (DEFAULT_NLU_FALLBACK_INTENT_NAME,) and asks_for_a_person(message.get(TEXT)):
            scope = dict(message.get(SCOPE_KEY) or {}, person_asked=True)
            message.set(SCOPE_KEY, scope, add_to_output=True)
            self._replace(message, HANDOFF)

    @staticmethod
    def _reports_without_asking(message: Message) -> bool:
        """A symptom told about someone (components/entity_patterns.yml) and no
        question asked. Not a query typed as keywords: "risks of only taking
        pain meds" and "pain relief after kyphoplasty" name no one and report
        nothing."""
        text = message.get(TEXT) or ""
        symptom = any(entity.get(ENTITY_ATTRIBUTE_TYPE) == SYMPTOM for entity in message.get(ENTITIES) or [])
        return symptom and bool(_TOLD.search(text)) and not message_focus.asks_something(text)

    def _asks_to_be_checked(self, text: Text) -> bool:
        focus = message_focus.question_focus(text)
        return bool(_CHECK_ME.search(focus)) and not self.rules.beyond_checklist(focus)

    def _chosen_answer(self, message: Message, intent: Optional[Text]) -> Optional[Text]:
        if intent not in self.config["checked_categories"]:
            return None
        selectors = message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}
        selected = selectors.get(intent) or selectors.get(RESPONSE_SELECTOR_DEFAULT_INTENT) or {}
        answer = (selected.get(RESPONSE_SELECTOR_PREDICTION_KEY) or {}).get(INTENT_RESPONSE_KEY)
        return answer if answer and answer.startswith(f"{intent}/") else None

    def _note_concern(self, message: Message) -> None:
        """A not_covered message about feeling down gets the kinder wording
        (utter_not_covered's variation for the `concern` slot)."""
        text = message.get(TEXT) or ""
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        if intent == NOT_COVERED and self.rules.low_mood.search(text):
            message.data.setdefault(ENTITIES, []).append(
                {ENTITY_ATTRIBUTE_TYPE: "concern", ENTITY_ATTRIBUTE_VALUE: "low_mood",
                 ENTITY_ATTRIBUTE_START: 0, ENTITY_ATTRIBUTE_END: len(text), EXTRACTOR: self.__class__.__name__})

    @staticmethod
    def _replace(message: Message, intent: Text) -> None:
        previous = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        logger.debug("Answer scope: '%s' -> '%s'.", previous, intent)
        put_first(message, intent)
