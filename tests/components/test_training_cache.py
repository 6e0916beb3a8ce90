"""A change of an answer's wording leaves every trained component in Rasa's cache.

Read on the project's own data through Rasa's importer and its NLU training
data provider, the graph's input node whose output fingerprint decides what
retrains; scripts/benchmark.py times the retraining itself.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.graph_components.providers.nlu_training_data_provider import NLUTrainingDataProvider
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.constants import RESPONSE

import components  # noqa: F401  installs the provider wrapper, as Rasa's loading does
from tests.project import ROOT

ANSWER = "utter_about/what_is"


def project_copy(tmp_path: Path, wording: str | None = None, config_changes: dict | None = None) -> Path:
    """config, domain and data of the project, with an answer reworded or the config changed."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "domain", copy / "domain")
    shutil.copytree(ROOT / "data", copy / "data")
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    config.update(config_changes or {})
    (copy / "config.yml").write_text(yaml.safe_dump(config))
    if wording:
        responses_file = copy / "data" / "nlu" / "responses.yml"
        responses = yaml.safe_load(responses_file.read_text())
        responses["responses"][ANSWER][0]["text"] = wording
        responses_file.write_text(yaml.safe_dump(responses))
    return copy


def provided(project: Path, tmp_path: Path):
    importer = TrainingDataImporter.load_from_config(
        str(project / "config.yml"), str(project / "domain"), [str(project / "data")])
    provider = NLUTrainingDataProvider.create(
        NLUTrainingDataProvider.get_default_config(), LocalModelStorage(tmp_path / "storage"),
        Resource("provider"), ExecutionContext(GraphSchema({}), "test"))
    return importer, provider.provide(importer)


def test_the_components_get_no_wording_but_every_example_and_label(tmp_path):
    importer, data = provided(project_copy(tmp_path), tmp_path)
    original = importer.get_nlu_data()

    assert data.responses == {}
    assert not [example for example in data.training_examples if example.get(RESPONSE)]
    assert [(e.get("text"), e.get_full_intent()) for e in data.training_examples] == \
        [(e.get("text"), e.get_full_intent()) for e in original.training_examples]
    assert data.retrieval_intents == original.retrieval_intents
    # the importer's own copy, which the domain is built from, keeps the texts
    assert ANSWER in original.responses
    assert any(example.get(RESPONSE) for example in original.training_examples)
    assert ANSWER in importer.get_domain().responses


def test_a_wording_change_keeps_the_nlu_fingerprint_and_an_example_change_does_not(tmp_path):
    _, before = provided(project_copy(tmp_path / "a"), tmp_path / "a")
    _, reworded = provided(project_copy(tmp_path / "b", wording="Kyphoplasty fixes a broken bone."),
                           tmp_path / "b")
    assert before.fingerprint() == reworded.fingerprint()

    changed = project_copy(tmp_path / "c")
    (changed / "data" / "nlu" / "extra.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: about/what_is\n  examples: |\n    - what exactly is a kyphoplasty op\n')
    _, more_examples = provided(changed, tmp_path / "c")
    assert more_examples.fingerprint() != before.fingerprint()


def test_a_pipeline_with_rasas_response_selector_still_learns_from_the_texts(tmp_path):
    config = {"pipeline": [{"name": "WhitespaceTokenizer"}, {"name": "CountVectorsFeaturizer"},
                           {"name": "ResponseSelector"}]}
    _, data = provided(project_copy(tmp_path, config_changes=config), tmp_path)
    assert ANSWER in data.responses
    assert any(example.get(RESPONSE) for example in data.training_examples)


FINGERPRINT_DOMAIN_FOR_POLICIES = """
from rasa.graph_components.providers.domain_for_core_training_provider import (
    DomainForCoreTrainingProvider)
from rasa.shared.importers.importer import TrainingDataImporter
importer = TrainingDataImporter.load_from_config("config.yml", "domain", ["data"])
print(DomainForCoreTrainingProvider.create_pruned_version(importer.get_domain()).fingerprint())
"""


def test_the_policies_domain_has_the_same_fingerprint_in_every_process():
    """Python orders sets differently in each process (hash seed); the domain must not."""
    fingerprints = {
        subprocess.run([sys.executable, "-c", FINGERPRINT_DOMAIN_FOR_POLICIES], cwd=ROOT,
                       env={"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT),
                            "RASA_TELEMETRY_ENABLED": "false"},
                       capture_output=True, text=True, check=True).stdout.split()[-1]
        for seed in ("1", "2", "3")
    }
    assert len(fingerprints) == 1
