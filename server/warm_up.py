"""The first patient after a start waits no longer than the tenth.

Rasa loads the model before it listens, but the parts that initialise lazily
(ONNX Runtime's first run of
the sentence encoder, the policies' first featurisation, SQLAlchemy's first
compilation of each statement) ran on the first
message, which took several times longer than the next ones
(`scripts/benchmark.py` prints both). Here a few messages, nobody's, go
through the NLU pipeline and the policies once the model is loaded and before
the server takes a connection, one whole turn (a catalogue answer: no custom
action, so no call to an action server that may not be up yet) runs through
Rasa's message processor against a tracker store in memory, and the tracker
store runs its statements in a transaction it rolls back; nothing is written
to any tracker store and nothing is published to an event broker.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa.core import run as rasa_run
from rasa.core.actions.action import default_actions
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

# One of each path a turn can take: a catalogue answer, the safety guard, a short reply.
WARM_UP_MESSAGES = ["how long is recovery after kyphoplasty", "my legs went numb", "yes"]
# A whole turn whose replies are domain responses only (rules: a catalogue answer
# and the disclaimer), so it needs no action server.
WARM_UP_TURN = "what is kyphoplasty"

_original_load_agent_on_start = rasa_run.load_agent_on_start


async def warm_up(agent: Any) -> None:
    """Parses and predicts a few turns in memory (never stored)."""
    domain = agent.domain
    for text in WARM_UP_MESSAGES:
        parse_data = await agent.parse_message(text)
        tracker = DialogueStateTracker.from_events(
            "warm-up", [ActionExecuted("action_listen"), UserUttered(text, parse_data.get("intent"),
                                                                     parse_data.get("entities"), parse_data)],
            slots=domain.slots)
        agent.processor.predict_next_with_tracker(tracker)
    default_actions()  # Rasa imports the default actions on a turn's first action
    await _whole_turn_in_memory(agent)
    store = agent.tracker_store
    if hasattr(store, "warm_up"):  # stores/tracker_store.py: its statements, nothing stored
        store.warm_up()


async def _whole_turn_in_memory(agent: Any) -> None:
    """Session start, NLG, the answer's events and their serialisation, once."""
    processor = agent.processor
    stored = processor.tracker_store
    processor.tracker_store = InMemoryTrackerStore(agent.domain)  # no broker, nothing kept
    try:
        await processor.handle_message(UserMessage(WARM_UP_TURN, CollectingOutputChannel(), "warm-up"))
    finally:
        processor.tracker_store = stored


async def _load_and_warm_up(*args: Any, **kwargs: Any) -> Any:
    agent = await _original_load_agent_on_start(*args, **kwargs)
    try:
        await warm_up(agent)
    except Exception as error:  # noqa: BLE001 - a warm-up that fails costs the first turn its speed, no more
        logger.warning("warm-up skipped: %s", type(error).__name__)
    return agent


def install() -> None:
    rasa_run.load_agent_on_start = _load_and_warm_up
