"""kill -9 of the Rasa server in the middle of a turn, at the worst moment: the
action server has done its work (a screening result stored) and Rasa dies
before it saves the turn. The client got no success; it sends again to the
restarted server; the conversation and the side effect are each stored once.

A proxy between Rasa and the action server kills Rasa right after the action
server answered the chosen action, so the moment is exact, not a race.
"""
from __future__ import annotations

import http.server
import json
import os
import secrets
import signal
import threading
import urllib.request
from pathlib import Path
from typing import Optional

import pytest
import requests
from sqlalchemy import create_engine, text

from scripts.stack import free_port, start_assistant
from tests.server.conftest import new_sender, start_action_server

pytestmark = pytest.mark.server


class KillingProxy(http.server.ThreadingHTTPServer):
    """Forwards Rasa's action calls; after `kill_after` answered, kills `rasa_pid`."""

    def __init__(self, port: int, upstream: str) -> None:
        super().__init__(("127.0.0.1", port), _Forward)
        self.upstream = upstream
        self.kill_after: Optional[str] = None
        self.rasa_pid: Optional[int] = None
        self.killed = threading.Event()


class _Forward(http.server.BaseHTTPRequestHandler):
    server: KillingProxy

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = urllib.request.Request(self.server.upstream + self.path, data=body, method="POST",
                                         headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
        with urllib.request.urlopen(request, timeout=60) as upstream:
            status, answer = upstream.status, upstream.read()
        action = json.loads(body).get("next_action")
        if action == self.server.kill_after and self.server.rasa_pid:
            os.kill(self.server.rasa_pid, signal.SIGKILL)  # the action's work is done; the turn is not saved
            self.server.kill_after = None
            self.server.killed.set()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self) -> None:  # noqa: N802
        with urllib.request.urlopen(self.server.upstream + self.path, timeout=10) as upstream:
            answer = upstream.read()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:
        pass


def screening_rows(database_url: str, sender: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(text("select count(*) from screening_results where conversation_id = :c"),
                                   {"c": sender}).scalar()
    engine.dispose()
    return int(count)


def test_rasa_killed_after_the_result_was_stored_then_the_answer_resent(tmp_path):
    action_port, proxy_port, token = free_port(), free_port(), secrets.token_hex(20)
    work = tmp_path / "rasa"
    work.mkdir()
    env = {"ACTION_SERVER_TOKEN": token}
    proxy = KillingProxy(proxy_port, f"http://127.0.0.1:{action_port}")
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    first = start_assistant(work, proxy_port, start_actions=False, extra_env=env)
    assistant = next(first)
    actions = start_action_server(action_port, token, assistant.database_url, tmp_path / "actions.log")
    second = None
    try:
        sender = new_sender()
        for message in ["could kyphoplasty help me", "yes", "no"]:
            assistant.replies(sender, message)
        assert assistant.bot_actions(sender)[-1] == "utter_ask_fracture_found"

        proxy.rasa_pid = assistant.rasa_pid
        proxy.kill_after = "action_screening_outcome"
        with pytest.raises(requests.ConnectionError):  # no success: the client knows to send again
            assistant.send(sender, "no")
        assert proxy.killed.wait(10)
        assert screening_rows(assistant.database_url, sender) == 1  # the side effect happened

        second = start_assistant(work, proxy_port, start_actions=False, extra_env=env)
        restarted = next(second)
        user_texts = [e["text"] for e in restarted.tracker(sender)["events"] if e["event"] == "user"]
        assert user_texts == ["could kyphoplasty help me", "yes", "no"], "the killed turn was not saved"
        assert restarted.replies(sender, "no")  # the patient's answer again
        assert "utter_screening_outcome_no_known_fracture" in restarted.bot_actions(sender)
        assert screening_rows(restarted.database_url, sender) == 1, "one checklist run, one result"
        user_texts = [e["text"] for e in restarted.tracker(sender)["events"] if e["event"] == "user"]
        assert user_texts == ["could kyphoplasty help me", "yes", "no", "no"]
    finally:
        for stack in (second, first):
            if stack is not None:
                stack.close()
        actions.kill()
        proxy.shutdown()


def test_rasa_killed_mid_turn_loses_nothing_acknowledged(tmp_path):
    """Messages acknowledged before the crash are all stored; the one in flight
    was not acknowledged, and sent again it is stored once."""
    action_port, proxy_port, token = free_port(), free_port(), secrets.token_hex(20)
    work = tmp_path / "rasa"
    work.mkdir()
    env = {"ACTION_SERVER_TOKEN": token}
    proxy = KillingProxy(proxy_port, f"http://127.0.0.1:{action_port}")
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    first = start_assistant(work, proxy_port, start_actions=False, extra_env=env)
    assistant = next(first)
    actions = start_action_server(action_port, token, assistant.database_url, tmp_path / "actions.log")
    second = None
    try:
        sender = new_sender()
        acknowledged = ["what is kyphoplasty?", "how long is recovery?"]
        for message in acknowledged:
            assistant.replies(sender, message)
        proxy.rasa_pid = assistant.rasa_pid
        proxy.kill_after = "action_start_screening"
        with pytest.raises(requests.ConnectionError):
            assistant.send(sender, "could kyphoplasty help me")
        second = start_assistant(work, proxy_port, start_actions=False, extra_env=env)
        restarted = next(second)
        assert [e["text"] for e in restarted.tracker(sender)["events"] if e["event"] == "user"] == acknowledged
        restarted.replies(sender, "could kyphoplasty help me")
        assert restarted.bot_actions(sender)[-1] == "utter_ask_screening_consent"
        assert [e["text"] for e in restarted.tracker(sender)["events"] if e["event"] == "user"] == [
            *acknowledged, "could kyphoplasty help me"]
    finally:
        for stack in (second, first):
            if stack is not None:
                stack.close()
        actions.kill()
        proxy.shutdown()
