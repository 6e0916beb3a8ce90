"""A real assistant for the tests: action server + Rasa server (REST, HTTP API)."""
from __future__ import annotations

import secrets
from typing import Iterator

import pytest

from scripts.stack import MODEL, Assistant, start_assistant


@pytest.fixture(scope="session")
def assistant(tmp_path_factory) -> Iterator[Assistant]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run ./scripts/test.sh (it trains first)")
    yield from start_assistant(tmp_path_factory.mktemp("assistant"))


def new_sender() -> str:
    return f"test-{secrets.token_hex(6)}"
