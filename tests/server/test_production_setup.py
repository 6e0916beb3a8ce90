"""The production set-up on real services: PostgreSQL tracker store and project
tables, Redis lock store, RabbitMQ event broker (deploy/endpoints.production.yml)."""
from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any, Dict, List

import aio_pika
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from bot.db.models import ScreeningResult
from tests.support.assistant_stack import ROOT, start_assistant
from tests.server.conftest import production_env, require_services

pytestmark = [pytest.mark.server, pytest.mark.postgres]


def test_conversation_lands_in_postgres_and_on_rabbitmq(postgres_url, tmp_path):
    require_services()
    queue = f"kyphoplasty-test-{secrets.token_hex(4)}"
    env = production_env(postgres_url, queue)
    sender = f"prod-{secrets.token_hex(4)}"
    stack = start_assistant(tmp_path, extra_env=env, database_url=postgres_url,
                            endpoints_file=ROOT / "deploy" / "endpoints.production.yml")
    assistant = next(stack)
    try:
        assistant.replies(sender, "What is kyphoplasty?")
        # checklist: start, no warning signs, no known fracture -> stored by the action server
        for message in ["could kyphoplasty help me", "/affirm", "/deny", "/deny"]:
            assistant.replies(sender, message)
        assert assistant.bot_actions(sender)[-2:] == [
            "utter_screening_outcome_no_known_fracture", "utter_offer_callback"]
    finally:
        stack.close()

    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        types = [row[0] for row in connection.execute(
            text("select type_name from events where sender_id = :s order by id"), {"s": sender})]
    assert "user" in types and "bot" in types
    with Session(engine) as session:
        row = session.execute(select(ScreeningResult).where(ScreeningResult.conversation_id == sender)).scalar_one()
    assert row.outcome == "no_known_fracture" and row.channel == "rest"
    engine.dispose()

    published = asyncio.run(drain(queue))
    assert any(e.get("sender_id") == sender and e.get("event") == "user" for e in published)


async def drain(queue_name: str) -> List[Dict[str, Any]]:
    """Every event Rasa published to the queue; then the queue is deleted."""
    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(queue_name, ensure=True)
        events = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            events.append(json.loads(message.body))
        await queue.delete(if_unused=False, if_empty=False)
        return events
