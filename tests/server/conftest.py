"""A real assistant for the tests: action server + Rasa server (REST, HTTP API)."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

from bot.db.migrate import upgrade
from bot.wait_for import wait_for
from tests.project import ROOT

MODEL = ROOT / "models" / "kyphoplasty.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Assistant:
    url: str
    token: str
    database_url: str
    logs: Path

    def send(self, sender: str, message: Any, **kwargs: Any) -> requests.Response:
        return requests.post(f"{self.url}/webhooks/rest/webhook",
                             json={"sender": sender, "message": message}, timeout=60, **kwargs)

    def replies(self, sender: str, message: str) -> List[Dict[str, Any]]:
        response = self.send(sender, message)
        assert response.status_code == 200, response.text
        return response.json()

    def tracker(self, sender: str) -> Dict[str, Any]:
        response = requests.get(f"{self.url}/conversations/{sender}/tracker",
                                params={"token": self.token}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def bot_actions(self, sender: str) -> List[Optional[str]]:
        """utter_action of every bot message, as the answer catalogue contract reads it."""
        return [e.get("metadata", {}).get("utter_action")
                for e in self.tracker(sender)["events"] if e["event"] == "bot"]


def start_assistant(work: Path, action_port: int, extra_env: Optional[Dict[str, str]] = None,
                    start_actions: bool = True) -> Iterator[Assistant]:
    database = work / "assistant.db"
    database_url = f"sqlite:///{database}"
    upgrade(database_url)
    endpoints = work / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{database}"\n'
    )
    env = {**os.environ, "DATABASE_URL": database_url, "CARE_TEAM_PHONE": "(212) 736-5000",
           "CARE_TEAM_HOURS": "weekdays 8 to 5", "TF_CPP_MIN_LOG_LEVEL": "3",
           "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT), **(extra_env or {})}
    port, token = free_port(), secrets.token_urlsafe(16)
    processes = []
    with open(work / "actions.log", "wb") as actions_log, open(work / "rasa.log", "wb") as rasa_log:
        if start_actions:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "rasa", "run", "actions", "--actions", "actions",
                 "--port", str(action_port)], cwd=ROOT, env=env, stdout=actions_log, stderr=subprocess.STDOUT))
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "rasa", "run", "--model", str(MODEL), "--endpoints", str(endpoints),
             "--credentials", str(ROOT / "credentials.yml"), "--port", str(port), "--enable-api",
             "--auth-token", token], cwd=ROOT, env=env, stdout=rasa_log, stderr=subprocess.STDOUT))
        url = f"http://127.0.0.1:{port}"
        urls = [f"{url}/status?token={token}"]
        if start_actions:
            urls.append(f"http://127.0.0.1:{action_port}/health")
        try:
            if not wait_for(urls, timeout=180):
                raise RuntimeError(f"assistant did not start; see {work}/*.log:\n"
                                   + (work / "rasa.log").read_text()[-3000:])
            yield Assistant(url, token, database_url, work)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory) -> Iterator[Assistant]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run ./scripts/test.sh (it trains first)")
    yield from start_assistant(tmp_path_factory.mktemp("assistant"), free_port())


def new_sender() -> str:
    return f"test-{secrets.token_hex(6)}"
