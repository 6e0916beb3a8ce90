"""Test support: a real console server for the browser tests: `python -m bot.console` in a
subprocess over a fresh SQLite database with generated conversations."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest

from tests.project import ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SHOTS = ROOT / "results" / "screenshots"
USER, PASSWORD = "nurse.kim", "browser test password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_console(tmp_path, fill: Optional[Callable] = None) -> Iterator[str]:
    """Starts the console over a new database (60 generated conversations, a reviewer
    account, and whatever `fill(connection)` adds); yields its base URL."""
    from bot.console import auth
    from bot.console.sampledata import populate
    from bot.db.migrate import upgrade
    from bot.db.session import get_engine

    url = f"sqlite:///{tmp_path / 'assistant.db'}"
    upgrade(url)
    with get_engine(url).begin() as connection:
        populate(connection, 60, start=time.time() - 7 * 86400, days=7, seed=5)
        auth.create_user(connection, USER, PASSWORD, "reviewer")
        if fill is not None:
            fill(connection)
    get_engine(url).dispose()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url, "CONSOLE_SECRET_KEY": "b" * 48,
           "CONSOLE_PORT": str(port)}
    log = open(tmp_path / "console.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "bot.console"], env=env, stdout=log,
                               stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.terminate()
        pytest.fail("console did not start:\n" + (tmp_path / "console.log").read_text())
    yield base
    process.terminate()
    process.wait(timeout=10)
    log.close()


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium for one test (skipped where it is not installed),
    with the screenshot folder ready."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()
