"""server/graph_runner.py: the model's predict graph without dask, node for node as Rasa runs it."""
from __future__ import annotations

import pytest
from rasa.engine import loader
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.core.channels.channel import UserMessage

from tests.support.assistant_stack import MODEL
from server.graph_runner import SequentialGraphRunner, dependency_order


def _node(**needs: str) -> SchemaNode:
    return SchemaNode(needs=needs, uses=object, constructor_name="create", fn="run", config={})


def test_every_node_comes_after_what_it_needs_and_unneeded_nodes_are_left_out():
    schema = GraphSchema({
        "a": _node(), "b": _node(x="a"), "c": _node(x="a", y="b"), "d": _node(x="c", y="__input__"),
        "unused": _node(x="a"),
    })
    order = dependency_order(schema, ["d"])
    assert order == ["a", "b", "c", "d"]  # each once, the input placeholder not a node
    assert dependency_order(schema, ["b", "unused"]) == ["a", "b", "unused"]


@pytest.fixture(scope="module")
def runners(tmp_path_factory):
    loaded = {}
    for kind in (DaskGraphRunner, SequentialGraphRunner):
        _, runner = loader.load_predict_graph_runner(
            tmp_path_factory.mktemp(kind.__name__), MODEL, LocalModelStorage, kind)
        loaded[kind] = runner
    return loaded[DaskGraphRunner], loaded[SequentialGraphRunner]


def _parse_targets(runner):
    return [name for name in runner._graph_schema.nodes if name.startswith("run_RegexMessageHandler")]


@pytest.mark.parametrize("text", ["what is kyphoplasty", "my legs went numb", "ys", "/inform{\"choice\": \"yes\"}"])
def test_a_message_is_parsed_to_the_same_result(runners, text):
    dask_runner, ours = runners
    targets = _parse_targets(dask_runner)
    assert targets
    results = []
    for runner in (dask_runner, ours):
        output = runner.run(inputs={"__message__": [UserMessage(text, message_id="m1")]}, targets=targets)
        results.append({name: [message.as_dict(only_output_properties=True) for message in value] for name, value in output.items()})
    assert results[0] == results[1]


def test_an_input_named_like_a_node_is_refused_as_rasa_refuses_it(runners):
    dask_runner, ours = runners
    targets = _parse_targets(dask_runner)
    node = next(iter(ours._graph_schema.nodes))
    for runner in (dask_runner, ours):
        with pytest.raises(GraphRunError):
            runner.run(inputs={"__message__": node}, targets=targets)


def test_a_plan_is_made_once_per_set_of_targets(runners):
    _, ours = runners
    targets = _parse_targets(ours)
    ours.run(inputs={"__message__": [UserMessage("hello")]}, targets=targets)
    plan = ours._plans[tuple(targets)]
    ours.run(inputs={"__message__": [UserMessage("thank you")]}, targets=targets)
    assert ours._plans[tuple(targets)] is plan
