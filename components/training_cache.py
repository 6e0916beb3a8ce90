"""Keep the answers' wording out of the NLU training data, for Rasa's training cache.

Rasa retrains a component only when its inputs' fingerprint changes. The NLU
training data it hands every component carries the catalogue's response texts
(`responses`, and each answer example's `response` attribute), because Rasa's
ResponseSelector learns from them. Ours does not (components/answer_selector.py
scores answers with the linear model), so with the texts in the data a change
of one answer's wording retrained every NLU component: 128 s, a full training.

Rasa's default recipe offers no place for a provider of our own, so
`install()` wraps its NLU training data provider, the graph's input node, to
drop the texts when the pipeline has no ResponseSelector. A pipeline that has
one gets the data unchanged. The domain keeps the texts: they are what the
assistant says, and the dialogue policies' own domain ignores them anyway.
"""
from __future__ import annotations

import copy
import functools

from rasa.graph_components.providers.nlu_training_data_provider import NLUTrainingDataProvider
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.constants import RESPONSE
from rasa.shared.nlu.training_data.training_data import TrainingData

# Components that learn from the response texts.
COMPONENTS_READING_RESPONSES = {"ResponseSelector"}


def pipeline_reads_responses(config: dict) -> bool:
    """Whether a component of the model configuration learns from response texts."""
    names = {str(component.get("name", "")).rsplit(".", 1)[-1]
             for component in config.get("pipeline") or []}
    return bool(names & COMPONENTS_READING_RESPONSES)


def without_wording(training_data: TrainingData) -> TrainingData:
    """A copy with the same examples and labels, without the response texts.

    A copy, because the importer hands the same object to whoever asks.
    """
    examples = []
    for example in training_data.training_examples:
        example = copy.copy(example)
        example.data = {key: value for key, value in example.data.items() if key != RESPONSE}
        examples.append(example)
    return TrainingData(examples, training_data.entity_synonyms, training_data.regex_features,
                        training_data.lookup_tables)


def install() -> None:
    """Wrap Rasa's NLU training data provider (once per process)."""
    provide = NLUTrainingDataProvider.provide
    if getattr(provide, "drops_wording", False):
        return

    # functools.wraps keeps the signature and type hints Rasa's graph validation reads.
    @functools.wraps(provide)
    def provide_without_wording(self, importer: TrainingDataImporter) -> TrainingData:
        training_data = provide(self, importer)
        if pipeline_reads_responses(importer.get_config()):
            return training_data
        return without_wording(training_data)

    provide_without_wording.drops_wording = True  # type: ignore[attr-defined]
    NLUTrainingDataProvider.provide = provide_without_wording
