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
from typing import Iterator, Optional

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.support.assistant_stack import free_port, start_assistant
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


class CrashRig:
    """An assistant whose action calls pass the killing proxy, and its restart on
    the same database and action server."""

    def __init__(self, tmp_path) -> None:
        action_port, proxy_port, token = free_port(), free_port(), secrets.token_hex(20)
        self.work = tmp_path / "rasa"
        self.work.mkdir()
        self.proxy_port, self.env = proxy_port, {"ACTION_SERVER_TOKEN": token}
        self.proxy = KillingProxy(proxy_port, f"http://127.0.0.1:{action_port}")
        threading.Thread(target=self.proxy.serve_forever, daemon=True).start()
        self.stacks = [start_assistant(self.work, proxy_port, start_actions=False, extra_env=self.env)]
        self.assistant = next(self.stacks[0])
        self.actions = start_action_server(action_port, token, self.assistant.database_url,
                                           tmp_path / "actions.log")

    def kill_rasa_after(self, action: str) -> None:
        self.proxy.rasa_pid = self.assistant.rasa_pid
        self.proxy.kill_after = action

    def restart(self):
        self.stacks.append(start_assistant(self.work, self.proxy_port, start_actions=False, extra_env=self.env))
        return next(self.stacks[-1])

    def stop(self) -> None:
        for stack in reversed(self.stacks):
            stack.close()
        self.actions.kill()
        self.proxy.shutdown()


@pytest.fixture
def rig(tmp_path) -> Iterator[CrashRig]:
    running = CrashRig(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def user_texts(assistant, sender: str) -> list:
    return [e["text"] for e in assistant.tracker(sender)["events"] if e["event"] == "user"]


def test_rasa_killed_after_the_result_was_stored_then_the_answer_resent(rig):
    assistant = rig.assistant
    sender = new_sender()
    for message in ["could kyphoplasty help me", "yes", "no"]:
        assistant.replies(sender, message)
    assert assistant.bot_actions(sender)[-1] == "utter_ask_fracture_found"

    rig.kill_rasa_after("action_screening_outcome")
    with pytest.raises(requests.ConnectionError):  # no success: the client knows to send again
        assistant.send(sender, "no")
    assert rig.proxy.killed.wait(10)
    assert screening_rows(assistant.database_url, sender) == 1  # the side effect happened

    restarted = rig.restart()
    assert user_texts(restarted, sender) == ["could kyphoplasty help me", "yes", "no"], \
        "the killed turn was not saved"
    assert restarted.replies(sender, "no")  # the patient's answer again
    assert "utter_screening_outcome_no_known_fracture" in restarted.bot_actions(sender)
    assert screening_rows(restarted.database_url, sender) == 1, "one checklist run, one result"
    assert user_texts(restarted, sender) == ["could kyphoplasty help me", "yes", "no", "no"]


def test_rasa_killed_mid_turn_loses_nothing_acknowledged(rig):
    """Messages acknowledged before the crash are all stored; the one in flight
    was not acknowledged, and sent again it is stored once."""
    assistant = rig.assistant
    sender = new_sender()
    acknowledged = ["what is kyphoplasty?", "how long is recovery?"]
    for message in acknowledged:
        assistant.replies(sender, message)
    rig.kill_rasa_after("action_start_screening")
    with pytest.raises(requests.ConnectionError):
        assistant.send(sender, "could kyphoplasty help me")
    restarted = rig.restart()
    assert user_texts(restarted, sender) == acknowledged
    restarted.replies(sender, "could kyphoplasty help me")
    assert restarted.bot_actions(sender)[-1] == "utter_ask_screening_consent"
    assert user_texts(restarted, sender) == [*acknowledged, "could kyphoplasty help me"]
