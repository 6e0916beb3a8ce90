"""LinearAnswerSelector: Rasa's ResponseSelector output, from the linear model."""
from __future__ import annotations

from pathlib import Path

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.answer_choice import CatalogueAnswerChooser
from components.answer_selector import LinearAnswerSelector


def trained(tmp_path: Path) -> LinearAnswerSelector:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("selector")
    context = ExecutionContext(GraphSchema({}), "test")
    selector = LinearAnswerSelector.create({}, storage, resource, context)
    examples = [
        Message(data={"text": "how long is recovery", "intent": "recovery",
                      "intent_response_key": "recovery/timeline"}),
        Message(data={"text": "what is kyphoplasty", "intent": "about",
                      "intent_response_key": "about/what_is"}),
        Message(data={"text": "hello", "intent": "greet"}),
    ]
    selector.train(TrainingData(training_examples=examples))
    # what a server does at start: load it back from the model's storage
    return LinearAnswerSelector.load({}, storage, resource, context)


def classified(*ranking: tuple) -> Message:
    return Message(data={
        "text": "...",
        "intent": {"name": ranking[0][0].split("/")[0], "confidence": 0.9},
        "answer_ranking": [{"intent_response_key": k, "confidence": c} for k, c in ranking],
    })


def test_the_retrieval_intents_survive_training_and_loading(tmp_path):
    assert trained(tmp_path).retrieval_intents == ["about", "recovery"]


def test_the_top_answer_is_written_where_rasas_retrieval_action_reads_it(tmp_path):
    message = trained(tmp_path).process([classified(("recovery/timeline", 0.7), ("about/what_is", 0.2))])[0]
    selectors = message.get("response_selector")
    assert selectors["all_retrieval_intents"] == ["about", "recovery"]
    response = selectors["default"]["response"]
    assert response["utter_action"] == "utter_recovery/timeline"  # the contract's metadata.utter_action
    assert response["intent_response_key"] == "recovery/timeline"
    assert response["confidence"] == 0.7
    assert [e["intent_response_key"] for e in selectors["default"]["ranking"]] == [
        "recovery/timeline", "about/what_is"]
    # it is part of the parse data Rasa returns and stores
    assert "response_selector" in message.as_dict(only_output_properties=True)


def test_the_chooser_keeps_the_answer_inside_the_predicted_category(tmp_path):
    # the linear model's best answer is in another category than the intent
    message = classified(("about/what_is", 0.5), ("recovery/timeline", 0.4))
    message.data["intent"] = {"name": "recovery", "confidence": 0.9}
    trained(tmp_path).process([message])
    CatalogueAnswerChooser({"threshold": 0.2}).process([message])
    assert message.get("response_selector")["default"]["response"]["utter_action"] == "utter_recovery/timeline"


def test_a_message_without_an_answer_ranking_is_left_alone(tmp_path):
    message = Message(data={"text": "hi", "intent": {"name": "greet", "confidence": 1.0}})
    trained(tmp_path).process([message])
    assert message.get("response_selector") is None
