"""The running stack for the channel and widget tests: one of each, shared by both folders.

Action server, Rasa server with the credentials `python -m channels.credentials`
writes (REST, the secure socket.io channel, Telegram, Twilio, Slack), the
widget server, and the platform stand-in on loopback that Rasa's output
channels send to. Started once per test session (both test folders share it,
so only one Rasa server runs), stopped when the session ends.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

from bot.db.migrate import upgrade
from bot.wait_for import wait_for
from channels.credentials import write as write_credentials
from tests.support.assistant_stack import (ACTION_ENDPOINT, MODEL, action_server_command, free_port, rasa_server_command,
                           sqlite_tracker_store)
from tests.channels.standin import StandIn
from tests.project import ROOT

PUBLIC_BASE = "https://bot.example.org"  # the URL platforms would call, behind a proxy


@dataclass
class Stack:
    rasa_url: str
    widget_url: str
    rasa_token: str
    standin: StandIn
    env: Dict[str, str]
    work: Path
    conversations_db: Path
    processes: List[subprocess.Popen] = field(default_factory=list)

    def webhook(self, channel: str) -> str:
        return f"{self.rasa_url}/webhooks/{channel}/webhook"

    def tracker(self, sender: str) -> dict:
        import requests
        response = requests.get(f"{self.rasa_url}/conversations/{sender}/tracker",
                                params={"token": self.rasa_token}, timeout=30)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.standin.stop()


def platform_env(standin: StandIn) -> Dict[str, str]:
    """Every platform configured, made-up credentials, APIs pointed at the stand-in."""
    return {
        "TELEGRAM_ACCESS_TOKEN": "1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "TELEGRAM_BOT_USERNAME": "riverside_spine_bot",
        "TELEGRAM_WEBHOOK_URL": f"{PUBLIC_BASE}/webhooks/telegram/webhook",
        "TELEGRAM_SECRET_TOKEN": secrets.token_urlsafe(24),
        "TELEGRAM_API_BASE_URL": standin.url,
        "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "TWILIO_NUMBER": "+15005550006",
        "TWILIO_WHATSAPP_NUMBER": "whatsapp:+14155238886",
        "TWILIO_WEBHOOK_BASE_URL": PUBLIC_BASE,
        "TWILIO_API_BASE_URL": standin.url,
        "SLACK_TOKEN": "xoxb-" + secrets.token_hex(12),
        "SLACK_SIGNING_SECRET": secrets.token_hex(16),
        "SLACK_API_BASE_URL": standin.url + "/api/",
    }


def start(work: Path) -> Stack:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run ./scripts/test.sh (it trains first)")
    if not (ROOT / "bot" / "widget" / "static" / "vendor" / "socket.io.min.js").exists():
        pytest.fail("the widget's socket.io client is not vendored: "
                    "`cd bot/widget && npm ci && cd - && python -m bot.widget.vendor`")
    standin = StandIn().start()
    database = work / "assistant.db"
    upgrade(f"sqlite:///{database}")
    action_port, rasa_port, widget_port = free_port(), free_port(), free_port()
    # Rasa's conversations in a file of their own, so a test can lock them (a
    # failed turn) without locking the platform delivery claims in the project's
    conversations = work / "conversations.db"
    (work / "endpoints.yml").write_text(
        ACTION_ENDPOINT + sqlite_tracker_store(ROOT, conversations))
    rasa_url, widget_url = f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{widget_port}"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}",
           "CARE_TEAM_PHONE": "(212) 736-5000", "CARE_TEAM_HOURS": "weekdays 8 to 5",
           "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false",
           "PYTHONPATH": str(ROOT), "WIDGET_SECRET": secrets.token_urlsafe(48),
           "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
           "ACTION_SERVER_TOKEN": secrets.token_hex(20),
           "WIDGET_HOST": "127.0.0.1", "WIDGET_PORT": str(widget_port),
           "WIDGET_SOCKET_URL": rasa_url, "WIDGET_ALLOWED_ORIGINS": widget_url,
           "RASA_URL": rasa_url,  # the widget server reads a checklist's summary from Rasa's API
           "WIDGET_MAX_MESSAGE_CHARS": "500", "TRACKER_STORE_RETRY_SECONDS": "2",
           # every widget and channel test of a session takes its tokens from 127.0.0.1
           "WIDGET_READ_TIMEOUT": "2", "WIDGET_TOKENS_PER_HOUR": "100",
           **platform_env(standin)}
    credentials = work / "credentials.yml"
    names = write_credentials(credentials, env)
    assert len(names) == 5, names
    token = secrets.token_hex(16)  # never starts with "-", which argparse would take for an option
    env["RASA_TOKEN"] = token  # scripts/serve.py hands it to Rasa: never on a command line
    stack = Stack(rasa_url, widget_url, token, standin, env, work, conversations)
    logs = {name: open(work / f"{name}.log", "wb") for name in ("actions", "rasa", "widget")}
    commands = {
        "actions": action_server_command(ROOT, action_port),
        "rasa": rasa_server_command(ROOT, token) + [
            "--model", str(MODEL), "--endpoints", str(work / "endpoints.yml"),
            "--credentials", str(credentials), "--port", str(rasa_port)],
        "widget": [sys.executable, "-m", "bot.widget"],
    }
    for name, command in commands.items():
        stack.processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=logs[name],
                                                stderr=subprocess.STDOUT))
    for log in logs.values():
        log.close()
    urls = [f"{rasa_url}/status?token={token}", f"http://127.0.0.1:{action_port}/health",
            f"{widget_url}/healthz"]
    deadline = time.monotonic() + 240
    while not wait_for(urls, timeout=5):
        if time.monotonic() > deadline or any(p.poll() is not None for p in stack.processes):
            stack.stop()
            raise RuntimeError(f"stack did not start; see {work}/*.log:\n"
                               + (work / "rasa.log").read_text()[-3000:])
    return stack


_shared: Optional[Stack] = None


def shared_stack(tmp_path_factory) -> Iterator[Stack]:
    """Yields the one stack; whoever started it stops it at the end of the session."""
    global _shared
    if _shared is not None:
        yield _shared
        return
    _shared = start(tmp_path_factory.mktemp("channels-stack"))
    try:
        yield _shared
    finally:
        _shared.stop()
        _shared = None
