"""The action server takes calls from Rasa only: loopback, a shared secret,
a clear 400 for what is not an action call, and no patient words in a failure."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bot.db.models import CallbackRequest
from bot.wait_for import wait_for
from tests.support.assistant_stack import ROOT, free_port

pytestmark = pytest.mark.server
TOKEN = secrets.token_hex(20)


@pytest.fixture(scope="module")
def action_server(tmp_path_factory) -> Iterator[tuple]:
    from bot.db.migrate import upgrade

    work = tmp_path_factory.mktemp("action-server")
    database_url = f"sqlite:///{work / 'assistant.db'}"
    upgrade(database_url)
    port = free_port()
    env = {**os.environ, "ACTION_SERVER_TOKEN": TOKEN, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    env.pop("ACTIONS_HOST", None)
    log = open(work / "actions.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "actions.server", "--port", str(port)], cwd=ROOT,
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_for([f"http://127.0.0.1:{port}/health"], timeout=120), (work / "actions.log").read_text()
        yield f"http://127.0.0.1:{port}", port, database_url, work / "actions.log"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def call(url: str, body, token: str = TOKEN, **kwargs) -> requests.Response:
    headers = {"X-Action-Token": token} if token else {}
    if isinstance(body, (dict, list)):
        return requests.post(f"{url}/webhook", json=body, headers=headers, timeout=10, **kwargs)
    return requests.post(f"{url}/webhook", data=body, headers=headers, timeout=10, **kwargs)


def forged_callback(name: str, phone: str) -> dict:
    return {"next_action": "action_save_callback", "sender_id": "forged",
            "tracker": {"sender_id": "forged", "events": [], "latest_message": {},
                        "slots": {"callback_consent": "yes", "callback_name": name, "callback_phone": phone}},
            "domain": {}}


def test_it_listens_on_loopback_only(action_server):
    _, port, _, _ = action_server
    listening = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
            listening.add(address)
    assert listening == {"0100007F"}  # 127.0.0.1, not 0.0.0.0


@pytest.mark.parametrize("token", ["", "wrong-" + "x" * 30, TOKEN[:-1]])
def test_a_call_without_the_shared_secret_is_refused_and_stores_nothing(action_server, token):
    url, _, database_url, _ = action_server
    response = call(url, forged_callback("Mary Smith", "212-736-5000"), token=token)
    assert response.status_code == 401
    with Session(create_engine(database_url)) as session:
        assert session.execute(select(func.count()).select_from(CallbackRequest)).scalar_one() == 0
    assert requests.get(f"{url}/actions", timeout=10).status_code == 401


@pytest.mark.parametrize("body", [
    "garbage{", "[]", '"a string"', "{}", '{"next_action": 5, "tracker": {}}',
    '{"next_action": "action_save_callback", "tracker": "not a tracker"}',
])
def test_a_malformed_body_gets_a_400_without_internals(action_server, body):
    url, _, _, _ = action_server
    response = call(url, body)
    assert response.status_code == 400
    assert response.json() == {"error": "malformed action call"}


def test_a_call_rasa_sdk_would_fail_on_is_a_400_and_logs_no_patient_words(action_server):
    """Slots as a list made rasa-sdk fail (a 500 with an incident id); such a
    tracker is now refused before any action runs (is_action_call)."""
    url, _, _, log = action_server
    secret_words = "my legs went numb and I live at 12 Elm Street"
    body = {"next_action": "action_screening_outcome", "domain": {},
            "tracker": {"sender_id": "x", "slots": [secret_words], "latest_message": {"text": secret_words}}}
    response = call(url, body)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    assert secret_words not in response.text and "Traceback" not in response.text
    assert secret_words not in log.read_text()


@pytest.mark.parametrize("name, phone", [
    ("<img src=x onerror=alert(1)>", "212-736-5000"),
    ("Mary Smith", "=HYPERLINK(\"http://evil\")"),
    ("x" * 500, "212-736-5000"),
])
def test_a_callback_with_forged_fields_is_not_stored_even_with_the_secret(action_server, name, phone):
    url, _, database_url, _ = action_server
    response = call(url, forged_callback(name, phone))
    assert response.status_code == 200
    assert [r["response"] for r in response.json()["responses"]] == ["utter_callback_not_saved"]
    with Session(create_engine(database_url)) as session:
        assert session.execute(select(func.count()).select_from(CallbackRequest)).scalar_one() == 0


def test_a_valid_call_from_rasa_is_answered(action_server):
    url, _, database_url, _ = action_server
    response = call(url, forged_callback("Mary Smith", "212-736-5000"))
    assert response.status_code == 200
    assert "utter_callback_saved" in [r["response"] for r in response.json()["responses"]]
    with Session(create_engine(database_url)) as session:
        row = session.execute(select(CallbackRequest)).scalar_one()
    assert (row.name, row.phone) == ("Mary Smith", "+12127365000")
