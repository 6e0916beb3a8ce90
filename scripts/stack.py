"""Starts the assistant's processes for tests and benchmarks: action server +
Rasa server (REST, HTTP API with a token) on free ports, against a fresh,
migrated SQLite database in a work folder."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import requests

from bot.db.migrate import upgrade
from bot.wait_for import wait_for

ROOT = Path(__file__).resolve().parent.parent
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
    rasa_pid: int
    startup_seconds: float
    session: requests.Session = field(default_factory=requests.Session)

    def send(self, sender: str, message: Any, **kwargs: Any) -> requests.Response:
        return self.session.post(f"{self.url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": message}, timeout=60, **kwargs)

    def replies(self, sender: str, message: str) -> List[Dict[str, Any]]:
        response = self.send(sender, message)
        assert response.status_code == 200, response.text
        return response.json()

    def parse(self, text: str) -> Dict[str, Any]:
        response = self.session.post(f"{self.url}/model/parse", params={"token": self.token},
                                     json={"text": text}, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def tracker(self, sender: str) -> Dict[str, Any]:
        response = self.session.get(f"{self.url}/conversations/{sender}/tracker",
                                    params={"token": self.token}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def bot_actions(self, sender: str) -> List[Optional[str]]:
        """utter_action of every bot message, as the answer catalogue contract reads it."""
        return [e.get("metadata", {}).get("utter_action")
                for e in self.tracker(sender)["events"] if e["event"] == "bot"]


def start_assistant(work: Path, action_port: Optional[int] = None,
                    extra_env: Optional[Dict[str, str]] = None,
                    start_actions: bool = True,
                    endpoints_file: Optional[Path] = None,
                    database_url: Optional[str] = None,
                    model: Path = MODEL) -> Iterator[Assistant]:
    """Yields a running assistant; stops its processes afterwards.

    By default on a fresh SQLite file; `endpoints_file` and `database_url` run it
    on another set-up (the production endpoints, with `extra_env` for them)."""
    action_port = action_port or free_port()
    if database_url is None:
        database = work / "assistant.db"
        database_url = f"sqlite:///{database}"
        endpoints = work / "endpoints.yml"
        endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
            f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{database}"\n'
        )
    upgrade(database_url)
    endpoints = endpoints_file or work / "endpoints.yml"
    env = {**os.environ, "DATABASE_URL": database_url,
           "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook", "CARE_TEAM_PHONE": "(212) 736-5000",
           "CARE_TEAM_HOURS": "weekdays 8 to 5", "TF_CPP_MIN_LOG_LEVEL": "3",
           "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT), **(extra_env or {})}
    port, token = free_port(), secrets.token_hex(16)  # a token may not start with '-'
    processes: List[subprocess.Popen] = []
    with open(work / "actions.log", "wb") as actions_log, open(work / "rasa.log", "wb") as rasa_log:
        started = time.monotonic()
        if start_actions:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "rasa", "run", "actions", "--actions", "actions",
                 "--port", str(action_port)], cwd=ROOT, env=env, stdout=actions_log, stderr=subprocess.STDOUT))
        rasa = subprocess.Popen(
            [sys.executable, "-m", "rasa", "run", "--model", str(model), "--endpoints", str(endpoints),
             "--credentials", str(ROOT / "credentials.yml"), "--port", str(port), "--enable-api",
             f"--auth-token={token}"], cwd=ROOT, env=env, stdout=rasa_log, stderr=subprocess.STDOUT)
        processes.append(rasa)
        url = f"http://127.0.0.1:{port}"
        urls = [f"{url}/status?token={token}"] + (
            [f"http://127.0.0.1:{action_port}/health"] if start_actions else [])
        try:
            if not wait_for(urls, timeout=180):
                raise RuntimeError(f"assistant did not start; see {work}/*.log:\n"
                                   + (work / "rasa.log").read_text()[-3000:])
            yield Assistant(url, token, database_url, work, rasa.pid, time.monotonic() - started)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
