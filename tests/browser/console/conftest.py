"""The console browser tests' server fixture (tests/browser/console/support.py)."""
from __future__ import annotations

import pytest

from tests.browser.console.support import serve_console


@pytest.fixture
def console_server(tmp_path):
    yield from serve_console(tmp_path)
