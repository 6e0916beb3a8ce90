"""server/graph_runner.py and server/policy_costs.py: the same conversations as Rasa's own code.

The real model and a real action server; each conversation is run once with
Rasa's dask runner, past states and rule lookup, then once with ours, and
every event (what was said, which action ran, which policy chose it with what
confidence) and every reply must be the same. The conversations take every
path a turn can: catalogue answers, the checklist with interruptions, an
emergency inside the form, "not sure", a question after the outcome.
"""
from __future__ import annotations

import asyncio
import secrets
from typing import Any, Dict, List

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from bot.wait_for import wait_for
from scripts.benchmark import conversation_script
from tests.support.assistant_stack import MODEL, free_port
from server import graph_runner, policy_costs
from tests.support.patient_scripts import CHECKLIST
from tests.server.conftest import start_action_server

CONVERSATIONS = [
    *(conversation_script(number) for number in range(4)),
    ["could kyphoplasty help me", "yes", "how long is recovery", "no", "yes", "why do you ask",
     "osteoporosis", "yes", "what is the cement", "no mri", "no", "none", "how much does it cost"],
    ["start the checklist", "yes", "not sure", "no", "yes", "a fall", "dunno"],
    ["could kyphoplasty help me", "yes", "no", "my legs went numb and I can't feel them"],
    ["hello", "what is kyphoplasty", "where does that come from", "that was helpful", "thank you", "bye"],
    CHECKLIST + ["can someone call me back", "what are the risks", "I want to talk to a person"],
]


RANDOM_PER_RUN = {"timestamp", "message_id", "model_id"}  # a time, and ids Rasa draws at random


def _without_random(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_random(item) for key, item in value.items() if key not in RANDOM_PER_RUN}
    if isinstance(value, list):
        return [_without_random(item) for item in value]
    return value


def _event_fingerprint(event: Dict[str, Any]) -> str:
    event = _without_random(event)
    if event.get("event") == "slot" and event.get("name", "").endswith("_id"):
        event["value"] = "a row id"  # the action server's database numbers each run's rows anew
    return repr(event)


async def _run(agent: Agent, conversations: List[List[str]]) -> List[Any]:
    seen = []
    for number, script in enumerate(conversations):
        sender = f"parity-{number}"
        for text in script:
            output = CollectingOutputChannel()
            await agent.handle_message(UserMessage(text, output, sender))
            seen.append((sender, text, [message.get("text") for message in output.messages]))
        tracker = await agent.tracker_store.retrieve(sender)
        seen.append([_event_fingerprint(event.as_dict()) for event in tracker.events])
    return seen


def _load(action_url: str, token: str) -> Agent:
    endpoint = EndpointConfig(action_url, headers={"X-Action-Token": token})
    agent = Agent.load(str(MODEL), action_endpoint=endpoint)
    agent.tracker_store = InMemoryTrackerStore(agent.domain)
    agent.processor.tracker_store = agent.tracker_store
    return agent


@pytest.fixture(scope="module")
def action_server(tmp_path_factory) -> Any:
    from bot.db.migrate import upgrade

    work = tmp_path_factory.mktemp("parity")
    url = f"sqlite:///{work / 'assistant.db'}"
    upgrade(url)
    port, token = free_port(), secrets.token_hex(16)
    process = start_action_server(port, token, url, work / "actions.log")
    yield f"http://127.0.0.1:{port}/webhook", token
    process.terminate()
    process.wait(timeout=30)


def test_our_runner_and_policy_shortcuts_decide_every_turn_as_rasa_does(action_server, monkeypatch):
    url, token = action_server
    rasas = asyncio.run(_run(_load(url, token), CONVERSATIONS))

    from rasa.core import processor as rasa_processor
    monkeypatch.setattr(rasa_processor, "DaskGraphRunner", graph_runner.SequentialGraphRunner)
    monkeypatch.setattr(Domain, "states_for_tracker_history", policy_costs.states_for_tracker_history)
    monkeypatch.setattr(RulePolicy, "_get_possible_keys", policy_costs._get_possible_keys)
    ours = _load(url, token)
    assert isinstance(ours.processor.graph_runner, graph_runner.SequentialGraphRunner)
    assert asyncio.run(_run(ours, CONVERSATIONS)) == rasas


def test_a_replay_that_does_not_extend_is_replayed_from_the_start():
    """A tracker read back (new event objects) or a reverted event: Rasa's answer."""
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered, UserUtteranceReverted
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Agent.load(str(MODEL)).domain
    events = [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet", "confidence": 1.0}),
              ActionExecuted("utter_greet"), ActionExecuted("action_listen"),
              UserUttered("what is it", {"name": "about", "confidence": 1.0}),
              SlotSet("callback_phone", "555"), ActionExecuted("utter_about")]
    cache = policy_costs.PastStates()
    tracker = DialogueStateTracker.from_events("s", events, slots=domain.slots)
    for arguments in ((False, False, None), (True, True, {"rule_only_slots": [], "rule_only_loops": []})):
        assert cache.states(domain, tracker, *arguments) == policy_costs._original_states_for_tracker_history(
            domain, tracker, *arguments)
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered("oh", {"name": "deny", "confidence": 1.0}))
        assert cache.states(domain, tracker, *arguments) == policy_costs._original_states_for_tracker_history(
            domain, tracker, *arguments)
        tracker.update(UserUtteranceReverted())  # the last message is taken back
        assert cache.states(domain, tracker, *arguments) == policy_costs._original_states_for_tracker_history(
            domain, tracker, *arguments)
        read_back = DialogueStateTracker.from_dict("s", [e.as_dict() for e in tracker.events], domain.slots)
        assert cache.states(domain, read_back, *arguments) == policy_costs._original_states_for_tracker_history(
            domain, read_back, *arguments)


def test_rules_looked_up_by_previous_action_are_the_rules_rasa_finds():
    """Every rule's own states, and each shortened from the front, as a conversation:
    the keys found are exactly those of Rasa's scan of every rule, in both tables."""
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH

    agent = Agent.load(str(MODEL))
    policy = next(node._component for node in agent.processor.graph_runner._instantiated_nodes.values()
                  if isinstance(getattr(node, "_component", None), RulePolicy))
    compared = 0
    for table in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
        lookup = policy.lookup[table]
        for key in lookup:
            states = RulePolicy._rule_key_to_state(key)
            for start in range(len(states)):
                conversation = [dict(state) for state in states[start:]]
                assert policy_costs._get_possible_keys(policy, lookup, conversation) == \
                    policy_costs._original_get_possible_keys(policy, lookup, conversation)
                compared += 1
    assert compared > 300
