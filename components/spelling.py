"""Typing mistakes corrected before the message is understood.

Patients on a phone write "anesthesa", "recovry", "strat the checklsit",
"colonscopy"; unknown words carry no weight for word counts and pull the
sentence embedding off course, so a misspelt question was answered wrongly or
not at all (docs/design.md has the figures). This component runs first and
corrects each unknown word that is one edit away from a known one, using
pyspellchecker's English word frequencies (shipped inside the package, nothing
downloaded) plus every word of the training data (kyphoplasty, vertebroplasty,
PMMA, drug names...), which are never "corrected".

Only what the NLU reads changes: the conversation keeps what the person wrote
(Rasa stores the channel's text in the user event).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from collections import Counter
from typing import Any, Dict, List, Optional, Text, Union

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

WORD = re.compile(r"[A-Za-z]+")
VOCABULARY_FILE = "vocabulary.json"
# What the vocabulary file holds: part of the training fingerprint, so a model
# cached with the older list of words is retrained rather than reused.
PERSISTED_FORMAT = "word-counts-1"
SPELLING_KEY = "spelling_corrections"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class SpellingCorrector(GraphComponent):
    """Replaces words one edit away from a known word with that word."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_length": 4}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 vocabulary: Optional[Union[List[Text], Dict[Text, int]]] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        # word -> how often the training data uses it (a list from an older model: once each)
        counts = vocabulary if isinstance(vocabulary, dict) else dict.fromkeys(vocabulary or [], 1)
        self.counts: Dict[Text, int] = dict(sorted(counts.items()))
        self._checker = None

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SpellingCorrector:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> SpellingCorrector:
        try:
            with model_storage.read_from(resource) as folder:
                words = json.loads((Path(folder) / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError, OSError):
            words = []
        corrector = cls(config, model_storage, resource, words)
        corrector.checker  # built at start-up, not by the first patient's message
        return corrector

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        return PERSISTED_FORMAT

    def train(self, training_data: TrainingData) -> Resource:
        words: Counter = Counter()
        for example in training_data.training_examples:
            words.update(w.lower() for w in WORD.findall(example.get(TEXT) or ""))
        self.counts = dict(sorted(words.items()))
        with self._model_storage.write_to(self._resource) as folder:
            (Path(folder) / VOCABULARY_FILE).write_text(json.dumps(self.counts), encoding="utf-8")
        return self._resource

    @property
    def checker(self):
        if self._checker is None:
            from spellchecker import SpellChecker

            self._checker = SpellChecker(distance=1)
            self._checker.word_frequency.load_words(self.counts)
        return self._checker

    def correct(self, text: Text) -> tuple[Text, Dict[Text, Text]]:
        corrections: Dict[Text, Text] = {}

        def fix(match: "re.Match[str]") -> Text:
            word = match.group(0)
            lower = word.lower()
            if len(lower) < self.config["min_length"] or lower in self.checker:
                return word
            # The domain's own words first, the most used of them here: "brase"
            # is "brace" and "pils" is "pills", however common "brave", "erase"
            # (from "erase my data") and "piss" are in English.
            candidates = self.checker.candidates(lower) or set()
            domain = [c for c in candidates if c in self.counts]
            better = (max(domain, key=lambda c: (self.counts[c], self.checker.word_usage_frequency(c), c))
                      if domain else self.checker.correction(lower))
            if not better or better == lower:
                return word
            corrections[word] = better
            return better

        return WORD.sub(fix, text), corrections

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # training examples are learned as written

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            corrected, corrections = self.correct(text)
            if corrections:
                message.set(TEXT, corrected)
                message.set(SPELLING_KEY, corrections, add_to_output=True)
        return messages
