"""The production set-up on real services: PostgreSQL tracker store and project
tables, Redis lock store, RabbitMQ event broker (deploy/endpoints.production.yml)."""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
from typing import Any, Dict, List
from urllib.parse import urlparse

import aio_pika
import pytest
import redis
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from bot.db.models import ScreeningResult
from scripts.stack import ROOT, start_assistant

pytestmark = [pytest.mark.server, pytest.mark.postgres]


def services_available() -> bool:
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
        socket.create_connection(("127.0.0.1", 5672), timeout=3).close()
        return True
    except Exception:  # noqa: BLE001
        return False


def test_conversation_lands_in_postgres_and_on_rabbitmq(postgres_url, tmp_path):
    if not services_available():
        if os.environ.get("CI"):
            pytest.fail("Redis or RabbitMQ is not reachable on 127.0.0.1")
        pytest.skip("Redis or RabbitMQ is not reachable")
    queue = f"kyphoplasty-test-{secrets.token_hex(4)}"
    database = urlparse(postgres_url)
    env = {"DB_HOST": database.hostname, "DB_PORT": str(database.port or 5432),
           "DB_NAME": database.path.lstrip("/"), "DB_USER": database.username or "postgres",
           "DB_PASSWORD": "", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "0",
           "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest",
           "RABBITMQ_QUEUE": queue}
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
