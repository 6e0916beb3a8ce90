"""Rasa's prediction graph run in a fixed order, planned once per set of targets.

Every message is parsed by one run of the model's graph and every action is
predicted by another (two or three a turn). Rasa runs each through dask's
synchronous scheduler after rebuilding the run's minimal graph from the schema
(a recursive walk that revisits shared dependencies): for a graph of a dozen
nodes that nobody runs in parallel, the scheduling cost about a tenth of a
turn (docs/design.md, "Where a turn's time goes").

`SequentialGraphRunner` runs the same nodes with the same inputs: the minimal
graph of a set of targets and a dependency-first order of its nodes are
computed on the first run with those targets and kept; each run then calls the
nodes in that order. What a node receives is what dask hands it: the
`(name, output)` pairs of the nodes it needs, an input given to the run in
place of the node of that name, and the bare name of a dependency nobody
provides (the node logs it, as under dask). Errors are Rasa's: a `RuntimeError`
becomes a `GraphRunError`, an input that clashes with a node's name is refused.
Training keeps Rasa's dask runner; only the processor's predict graph is ours.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa.core import processor as rasa_processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode, GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner

# One step of a run: the node's name, the node, and the names of the nodes it needs.
Step = Tuple[Text, GraphNode, Tuple[Text, ...]]


def dependency_order(schema: GraphSchema, targets: Sequence[Text]) -> List[Text]:
    """The nodes the targets need (themselves included), each after what it needs."""
    ordered: List[Text] = []
    placed = set()

    def place(name: Text) -> None:
        if name in placed:
            return
        placed.add(name)
        node = schema.nodes.get(name)
        if node is None:  # an input placeholder, provided to the run
            return
        for needed in node.needs.values():
            place(needed)
        ordered.append(name)

    for target in targets:
        place(target)
    return ordered


class SequentialGraphRunner(DaskGraphRunner):
    """DaskGraphRunner's results without dask: see the module's docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[Tuple[Text, ...], List[Step]] = {}

    def _plan(self, targets: Sequence[Text]) -> List[Step]:
        key = tuple(targets)
        plan = self._plans.get(key)
        if plan is None:
            nodes = self._graph_schema.nodes
            plan = [(name, self._instantiated_nodes[name], tuple(nodes[name].needs.values()))
                    for name in dependency_order(self._graph_schema, targets)]
            self._plans[key] = plan
        return plan

    def run(self, inputs: Optional[Dict[Text, Any]] = None,
            targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        plan = self._plan(run_targets)
        names = {name for name, _, _ in plan}
        results: Dict[Text, Any] = {}
        for input_name, input_value in (inputs or {}).items():
            # as Rasa checks it: against the graph's nodes and the inputs added before
            if isinstance(input_value, str) and (input_value in names or input_value in results):
                raise GraphRunError(
                    f"Input value '{input_value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema.")
            results[input_name] = (input_name, input_value)
        try:
            for name, node, needs in plan:
                if name in results:  # an input given in place of this node, as under dask
                    continue
                results[name] = node(*[results.get(needed, needed) for needed in needs])
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)


def install() -> None:
    """The processor loads its model with this runner (training is untouched)."""
    rasa_processor.DaskGraphRunner = SequentialGraphRunner
