"""A real assistant for the tests: action server + Rasa server (REST, HTTP API)."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
from pathlib import Path
from typing import Dict, Iterator
from urllib.parse import urlparse

import pytest

from bot.wait_for import wait_for
from tests.support.assistant_stack import MODEL, ROOT, Assistant, action_server_command, start_assistant


@pytest.fixture(scope="session")
def assistant(tmp_path_factory) -> Iterator[Assistant]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run ./scripts/test.sh (it trains first)")
    yield from start_assistant(tmp_path_factory.mktemp("assistant"))


def new_sender() -> str:
    return f"test-{secrets.token_hex(6)}"


def services_available() -> bool:
    """Redis and RabbitMQ on this machine (PostgreSQL has its own fixture)."""
    import redis
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
        socket.create_connection(("127.0.0.1", 5672), timeout=3).close()
        return True
    except Exception:  # noqa: BLE001
        return False


def require_services() -> None:
    if not services_available():
        if os.environ.get("CI"):
            pytest.fail("Redis or RabbitMQ is not reachable on 127.0.0.1")
        pytest.skip("Redis or RabbitMQ is not reachable")


def production_env(postgres_url: str, queue: str) -> Dict[str, str]:
    """deploy/endpoints.production.yml's variables for this machine's services."""
    database = urlparse(postgres_url)
    return {"DB_HOST": database.hostname, "DB_PORT": str(database.port or 5432),
            "DB_NAME": database.path.lstrip("/"), "DB_USER": database.username or "postgres",
            "DB_PASSWORD": "", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "0",
            "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest",
            "RABBITMQ_QUEUE": queue}


def start_action_server(port: int, token: str, database_url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "ACTION_SERVER_TOKEN": token, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(action_server_command(ROOT, port), cwd=ROOT, env=env,
                               stdout=log.open("ab"), stderr=subprocess.STDOUT)
    assert wait_for([f"http://127.0.0.1:{port}/health"], timeout=60), log.read_text()[-2000:]
    return process
