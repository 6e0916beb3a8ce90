"""The warm-up runs the real model's NLU, policies and one whole turn, and stores nothing."""
from __future__ import annotations

import asyncio

from rasa.core.agent import Agent

from tests.support.assistant_stack import MODEL
from server.warm_up import WARM_UP_MESSAGES, warm_up


def test_warm_up_predicts_with_the_real_model_and_stores_no_conversation():
    agent = Agent.load(str(MODEL))
    parsed = []
    original = agent.parse_message

    async def counting(text, *args, **kwargs):
        result = await original(text, *args, **kwargs)
        parsed.append(result["intent"]["name"])
        return result

    agent.parse_message = counting  # type: ignore[assignment]
    store = agent.processor.tracker_store
    replies = []
    handle = agent.processor.handle_message

    async def recording(message):
        result = await handle(message)
        replies.extend(result or [])
        return result

    agent.processor.handle_message = recording  # type: ignore[assignment]
    asyncio.run(warm_up(agent))
    assert len(parsed) == len(WARM_UP_MESSAGES)
    # the whole turn answered, from the catalogue, against a store in memory
    assert any(reply.get("text") for reply in replies)
    assert agent.processor.tracker_store is store
    assert "emergency" in parsed  # the safety path was exercised too
    assert list(asyncio.run(agent.tracker_store.keys())) == []
