from __future__ import annotations

from typing import Iterator

import pytest

from tests.channels.stack import Stack, shared_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    yield from shared_stack(tmp_path_factory)
