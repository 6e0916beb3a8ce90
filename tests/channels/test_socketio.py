"""The web channel: a conversation is bound to the token its browser was issued."""
from __future__ import annotations

import asyncio
import json
from typing import Any, List, Tuple

import pytest
import requests
import socketio

from bot.widget import tokens
from tests.channels.stack import Stack

pytestmark = pytest.mark.server

QUESTION = "How long does recovery take after kyphoplasty?"


def new_session(stack: Stack) -> Tuple[str, str]:
    response = requests.post(f"{stack.widget_url}/session", json={},
                             headers={"Origin": stack.widget_url}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == stack.widget_url
    data = response.json()
    return data["session_id"], data["token"]


class Client:
    """A socket.io client that records every event it receives."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: List[Tuple[str, Any]] = []
        self.sio.on("*", lambda event, data: self.events.append((event, data)))

    async def __aenter__(self) -> "Client":
        # the Python client's websocket needs a newer aiohttp; browsers use websocket (widget tests)
        await self.sio.connect(self.stack.rasa_url, headers={"Origin": self.stack.widget_url},
                               transports=["polling"])
        return self

    async def __aexit__(self, *args: Any) -> None:
        # Closing politely waits for the pending long poll, which the server
        # holds for its ping interval (about 30 s a client); the tests are done
        # with the socket, so it is dropped (the server sees the close packet).
        await self.sio.eio.disconnect(abort=True)

    async def call(self, event: str, data: dict) -> Any:
        return await self.sio.call(event, data, timeout=60)

    def bot_texts(self) -> List[str]:
        return [data["text"] for event, data in self.events if event == "bot_uttered"]


def test_session_endpoint_refuses_other_origins(stack):
    response = requests.post(f"{stack.widget_url}/session", json={},
                             headers={"Origin": "https://evil.example"}, timeout=10)
    assert response.status_code == 403


def test_socket_refuses_other_origins(stack):
    async def scenario():
        client = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(stack.rasa_url, headers={"Origin": "https://evil.example"},
                                 transports=["polling"])
    asyncio.run(scenario())


def test_a_second_client_with_anothers_session_id_gets_nothing(stack):
    async def scenario():
        session_id, token = new_session(stack)
        async with Client(stack) as first, Client(stack) as second:
            assert (await first.call("session_request", {"session_id": session_id, "token": token}))["ok"]
            # the intruder knows the id: without its token, or with its own token, nothing
            refused = await second.call("session_request", {"session_id": session_id})
            assert refused == {"ok": False, "error": "invalid_token"}
            _, own_token = new_session(stack)
            assert not (await second.call("session_request",
                                          {"session_id": session_id, "token": own_token}))["ok"]
            ack = await second.call("user_uttered", {"message": "what did they ask?",
                                                     "session_id": session_id, "message_id": "x1"})
            assert ack["ok"] is False and ack["error"] == "no_session"
            # the first conversation goes on; the intruder receives none of it
            ack = await first.call("user_uttered", {"message": QUESTION, "message_id": "m1"})
            assert ack == {"ok": True, "message_id": "m1"}
            await asyncio.sleep(0.5)
            assert first.bot_texts()
            assert second.bot_texts() == []
            assert ("session_confirm", session_id) not in second.events
            # and the conversation is not reachable by that id through the REST channel
            rest = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook",
                                 json={"sender": session_id, "message": "hello"}, timeout=60)
            assert rest.status_code == 200
            tracker = stack.tracker(tokens.conversation_id(stack.env["WIDGET_SECRET"], session_id))
            texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
            assert texts == [QUESTION]
    asyncio.run(scenario())


def test_oversized_and_repeated_messages(stack):
    async def scenario():
        session_id, token = new_session(stack)
        async with Client(stack) as client:
            await client.call("session_request", {"session_id": session_id, "token": token})
            ack = await client.call("user_uttered", {"message": "x" * 501, "message_id": "big"})
            assert ack == {"ok": False, "error": "too_long", "message_id": "big", "limit": 500}
            assert ("message_refused", {"reason": "too_long", "message_id": "big", "limit": 500}) \
                in client.events
            first = await client.call("user_uttered", {"message": QUESTION, "message_id": "r1"})
            again = await client.call("user_uttered", {"message": QUESTION, "message_id": "r1"})
            assert first["ok"] and again == {"ok": True, "message_id": "r1", "duplicate": True}
            tracker = stack.tracker(tokens.conversation_id(stack.env["WIDGET_SECRET"], session_id))
            assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == [QUESTION]
    asyncio.run(scenario())


def test_a_turn_that_cannot_be_stored_shows_nothing_and_asks_for_a_resend(stack):
    """Rasa's channel sent replies as they were made; a turn that then failed to
    save had been shown and was missing from the record."""
    from tests.channels.test_redelivery import while_conversations_locked

    async def scenario():
        session_id, token = new_session(stack)
        async with Client(stack) as client:
            await client.call("session_request", {"session_id": session_id, "token": token})
            loop = asyncio.get_running_loop()
            failed = await loop.run_in_executor(None, lambda: while_conversations_locked(
                stack, lambda: asyncio.run_coroutine_threadsafe(
                    client.call("user_uttered", {"message": QUESTION, "message_id": "f1"}), loop).result(60)))
            assert failed["ok"] is False and failed["retry"] is True and failed["error"] == "not_stored"
            assert client.bot_texts() == [], "nothing may be shown of a turn that was not stored"
            again = await client.call("user_uttered", {"message": QUESTION, "message_id": "f1"})
            assert again == {"ok": True, "message_id": "f1"}
            assert client.bot_texts()
            tracker = stack.tracker(tokens.conversation_id(stack.env["WIDGET_SECRET"], session_id))
            assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == [QUESTION]
    asyncio.run(scenario())


def test_hidden_characters_are_cleaned_as_on_rest(stack):
    """A right-to-left override showed staff another sentence than the one stored."""
    async def scenario():
        session_id, token = new_session(stack)
        async with Client(stack) as client:
            await client.call("session_request", {"session_id": session_id, "token": token})
            ack = await client.call("user_uttered", {
                "message": "How long\u202e does\u2066 recovery\U000e0041 take after kyphoplasty?\u200b",
                "message_id": "c1"})
            assert ack["ok"]
            only_hidden = await client.call("user_uttered", {"message": "\u202e\u200b\ufeff", "message_id": "c2"})
            assert only_hidden["ok"] is False and only_hidden["error"] == "empty"
            tracker = stack.tracker(tokens.conversation_id(stack.env["WIDGET_SECRET"], session_id))
            assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == [QUESTION]
    asyncio.run(scenario())


def namespace_connect_reply(stack: Stack, headers: dict) -> str:
    """The Socket.IO server's answer to a namespace connect, spoken over
    Engine.IO polling by hand: the Python client, refused, waits out the
    server's long poll (30 s) before it raises."""
    url = f"{stack.rasa_url}/socket.io/?EIO=4&transport=polling"
    with requests.Session() as http:
        handshake = http.get(url, headers=headers, timeout=10)
        if handshake.status_code != 200:
            return f"HTTP {handshake.status_code}"
        assert handshake.text.startswith("0"), handshake.text
        sid = json.loads(handshake.text[1:])["sid"]
        assert http.post(f"{url}&sid={sid}", data="40", headers=headers, timeout=10).ok
        return http.get(f"{url}&sid={sid}", headers=headers, timeout=10).text


def test_a_socket_without_an_allowed_origin_is_refused(stack):
    allowed = namespace_connect_reply(stack, {"Origin": stack.widget_url})
    assert allowed.startswith("40{"), allowed  # CONNECT: the widget's origin is let in
    missing = namespace_connect_reply(stack, {})
    assert missing.startswith("44"), missing  # CONNECT_ERROR: a script without an Origin
    other = namespace_connect_reply(stack, {"Origin": "https://evil.example"})
    assert other.startswith("HTTP 400") or other.startswith("44"), other


def test_a_burst_from_one_chat_is_slowed_down_without_hurting_another(stack):
    async def scenario():
        flooding, other = new_session(stack), new_session(stack)
        async with Client(stack) as flood, Client(stack) as calm:
            await flood.call("session_request", {"session_id": flooding[0], "token": flooding[1]})
            await calm.call("session_request", {"session_id": other[0], "token": other[1]})
            acks = [await flood.call("user_uttered", {"message": f"hello {n}", "message_id": f"b{n}"})
                    for n in range(12)]
            slowed = [a for a in acks if not a["ok"]]
            assert slowed and all(a["error"] == "slow_down" and a["retry"] and a["retry_after"] >= 1
                                  for a in slowed), acks
            assert sum(a["ok"] for a in acks) >= 8  # a burst of eight is fine
            assert (await calm.call("user_uttered", {"message": QUESTION, "message_id": "calm"}))["ok"]
        tracker = stack.tracker(tokens.conversation_id(stack.env["WIDGET_SECRET"], flooding[0]))
        assert len([e for e in tracker["events"] if e["event"] == "user"]) == sum(a["ok"] for a in acks)
        assert "Traceback" not in (stack.work / "rasa.log").read_text(errors="replace")
    asyncio.run(scenario())


def test_tokens_need_an_allowed_origin_and_are_capped_per_address(stack):
    import http.client
    import json as json_module
    from urllib.parse import urlsplit

    widget = urlsplit(stack.widget_url)
    assert requests.post(f"{stack.widget_url}/session", json={}, timeout=10).status_code == 403  # no Origin

    def session_from(address: str) -> int:
        connection = http.client.HTTPConnection(widget.hostname, widget.port, timeout=10,
                                                source_address=(address, 0))
        connection.request("POST", "/session", body=json_module.dumps({}),
                           headers={"Origin": stack.widget_url, "Content-Type": "application/json"})
        status = connection.getresponse().status
        connection.close()
        return status

    limit = int(stack.env["WIDGET_TOKENS_PER_HOUR"])
    statuses = [session_from("127.0.0.7") for _ in range(limit + 1)]  # an address of its own
    assert statuses[:limit] == [200] * limit and statuses[limit] == 429
    assert session_from("127.0.0.8") == 200  # another address is not affected


def test_a_client_that_sends_nothing_is_dropped(stack):
    import socket as socket_module
    import time
    from urllib.parse import urlsplit

    widget = urlsplit(stack.widget_url)
    with socket_module.create_connection((widget.hostname, widget.port), timeout=10) as slow:
        slow.sendall(b"POST /session HTTP/1.1\r\nHost: x\r\n")  # and then nothing more
        started = time.monotonic()
        assert slow.recv(1024) == b""  # closed by the server
        assert time.monotonic() - started < 8  # WIDGET_READ_TIMEOUT is 2 s in this stack
    origin = stack.widget_url.encode()
    with socket_module.create_connection((widget.hostname, widget.port), timeout=10) as short:
        short.sendall(b"POST /session HTTP/1.1\r\nHost: x\r\nOrigin: " + origin
                      + b"\r\nContent-Length: 100\r\n\r\n{}")  # a body shorter than announced
        started = time.monotonic()
        while short.recv(1024):
            pass
        assert time.monotonic() - started < 8
    with socket_module.create_connection((widget.hostname, widget.port), timeout=10) as bad:
        bad.sendall(b"POST /session HTTP/1.1\r\nHost: x\r\nOrigin: " + origin
                    + b"\r\nContent-Length: abc\r\nConnection: close\r\n\r\n")
        assert bad.recv(1024).startswith(b"HTTP/1.0 400")


def test_a_second_socket_with_the_same_token_takes_the_chat_over(stack):
    async def scenario():
        session_id, token = new_session(stack)
        async with Client(stack) as first, Client(stack) as second:
            await first.call("session_request", {"session_id": session_id, "token": token})
            await second.call("session_request", {"session_id": session_id, "token": token})
            await asyncio.sleep(0.3)
            assert ("session_replaced", {"reason": "opened_elsewhere"}) in first.events
            ack = await second.call("user_uttered", {"message": QUESTION, "message_id": "t1"})
            assert ack["ok"]
            await asyncio.sleep(0.5)
            assert second.bot_texts() and not first.bot_texts(), "only the newest socket reads the replies"
            refused = await first.call("user_uttered", {"message": QUESTION, "message_id": "t2"})
            assert refused["ok"] is False and refused["error"] == "no_session"
    asyncio.run(scenario())
