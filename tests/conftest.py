"""Shared fixtures: real databases (SQLite file, local PostgreSQL) with migrations applied."""
from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from bot.db import session as db_session
from bot.db.migrate import upgrade
from bot.settings import get_settings

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _postgres_available() -> bool:
    try:
        with create_engine(POSTGRES_ADMIN_URL).connect() as connection:
            connection.execute(text("select 1"))
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'assistant.db'}"
    upgrade(url)
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    yield from fresh_postgres_database()


@pytest.fixture(scope="module")
def module_postgres_url() -> Iterator[str]:
    """The same, shared by the tests of one module (a cluster that is slow to start)."""
    yield from fresh_postgres_database()


def fresh_postgres_database() -> Iterator[str]:
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
        pytest.skip("PostgreSQL is not reachable")
    name = f"kypho_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        db_session.get_engine.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, monkeypatch) -> Iterator[str]:
    """Both databases, set as the application's DATABASE_URL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    url = request.getfixturevalue(fixture)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    db_session.get_engine.cache_clear()
    yield url
    get_settings.cache_clear()
    db_session.get_engine.cache_clear()



def pytest_collection_modifyitems(items) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in
    the main thread while it is open, which asyncio.run() in later tests refuses."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
