"""Bounded fuzzing (hypothesis) of the REST webhook and the action server:
whatever arrives, a clear answer and never a 5xx (a 5xx would also mean a
turn failed that a client would retry for ever)."""
from __future__ import annotations

import json
import secrets
from typing import Any, Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.assistant_stack import free_port
from tests.server.conftest import start_action_server

pytestmark = pytest.mark.server

ACTIONS = ["action_save_callback", "action_screening_outcome", "action_start_screening",
           "validate_screening_form", "validate_callback_form", "action_care_team_contact",
           "action_decline_callback", "no_such_action"]
FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)
# what people type: any unicode (controls, bidi, emoji, surrogates), short and long
typed = st.text(max_size=300) | st.text(min_size=3990, max_size=4100, alphabet="ab cd\u202e\U0001F600")
senders = st.text(min_size=1, max_size=40) | st.from_regex(r"[a-z0-9\-]{1,20}", fullmatch=True)


def post_rest(url: str, body: Any) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body)
    return requests.post(f"{url}/webhooks/rest/webhook", data=data,
                         headers={"Content-Type": "application/json"}, timeout=60)


@FUZZ
@given(body=st.fixed_dictionaries({"sender": senders | json_values, "message": typed | json_values},
                                  optional={"metadata": json_values}))
def test_rest_webhook_messages(assistant, body):
    response = post_rest(assistant.url, body)
    assert response.status_code < 500, (body, response.status_code, response.text[:200])
    if response.status_code == 200:
        assert isinstance(response.json(), list)


@FUZZ
@given(body=json_values | st.binary(max_size=200))
def test_rest_webhook_bodies(assistant, body):
    response = post_rest(assistant.url, body)
    assert response.status_code < 500, (body, response.status_code, response.text[:200])


@pytest.fixture(scope="module")
def action_server(tmp_path_factory, assistant) -> Iterator[tuple]:
    port, token = free_port(), secrets.token_hex(20)
    work = tmp_path_factory.mktemp("fuzz-actions")
    process = start_action_server(port, token, assistant.database_url, work / "actions.log")
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        process.kill()


def test_events_that_are_not_objects_are_a_400(action_server):
    """Found by the fuzz below: rasa-sdk answered 500 to `"events": [null]`."""
    url, token = action_server
    call = {"next_action": "validate_screening_form", "sender_id": "0", "domain": {},
            "tracker": {"sender_id": "0", "slots": {}, "events": [None]}}
    response = requests.post(f"{url}/webhook", json=call, headers={"X-Action-Token": token}, timeout=30)
    assert response.status_code == 400


@FUZZ
@given(call=st.fixed_dictionaries({
    "next_action": st.sampled_from(ACTIONS) | st.text(max_size=20),
    "sender_id": senders,
    "tracker": st.fixed_dictionaries({}, optional={
        "sender_id": senders | json_values, "slots": st.dictionaries(st.text(max_size=20), json_values, max_size=6),
        "latest_message": json_values, "events": st.lists(json_values, max_size=4),
        "active_loop": json_values}),
    "domain": json_values}))
def test_action_server_calls(action_server, call):
    url, token = action_server
    # json.dumps writes infinities as `Infinity`, which is not JSON: a malformed call too
    response = requests.post(f"{url}/webhook", data=json.dumps(call), timeout=30,
                             headers={"X-Action-Token": token, "Content-Type": "application/json"})
    assert response.status_code < 500, (call, response.status_code, response.text[:200])
