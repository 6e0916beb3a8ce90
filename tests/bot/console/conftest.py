"""Console fixtures: both databases (tests/conftest.py `database_url`) with generated
Rasa-format conversations, staff accounts, and Flask test clients."""
from __future__ import annotations

import time
from typing import Dict, List

import pytest

from bot.console import auth, create_app
from bot.console.sampledata import populate
from bot.db.session import get_engine
from bot.settings import ConsoleSettings
from tests.bot.console.helpers import ADMIN, REVIEWER, sign_in

NOW = time.time()


@pytest.fixture
def console_settings(tmp_path) -> ConsoleSettings:
    return ConsoleSettings(secret_key="test-secret-" + "x" * 40, secret_file=tmp_path / "secret",
                           page_size=25)


@pytest.fixture
def populated(database_url) -> Dict:
    """80 generated conversations over the last 10 days, plus two staff accounts."""
    engine = get_engine(database_url)
    with engine.begin() as connection:
        facts: List[Dict] = populate(connection, 80, start=NOW - 10 * 86400, days=10, seed=11)
        auth.create_user(connection, ADMIN[0], ADMIN[1], "admin")
        auth.create_user(connection, REVIEWER[0], REVIEWER[1], "reviewer")
    return {"url": database_url, "facts": facts, "engine": engine}


@pytest.fixture
def app(populated, console_settings):
    app = create_app(populated["url"], settings=console_settings)
    app.config["TESTING"] = True  # exceptions propagate; CSRF stays ON (WTF_CSRF_ENABLED default)
    return app


@pytest.fixture
def anonymous(app):
    return app.test_client()


@pytest.fixture
def admin(app):
    client = app.test_client()
    sign_in(client, *ADMIN)
    return client


@pytest.fixture
def reviewer(app):
    client = app.test_client()
    sign_in(client, *REVIEWER)
    return client
