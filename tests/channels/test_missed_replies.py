"""Replies a web chat missed (a reload, a dropped connection) are sent again when it
reconnects: after the one it names, in order, once, and only to its own conversation."""
from __future__ import annotations

import asyncio
from typing import Any, List, Optional

import pytest

from bot.widget import tokens
from channels.missed_replies import BEFORE_ALL, NOT_ASKED, Cursor, asked_from, cursor_of, parts_after
from tests.channels.test_socketio import QUESTION, Client

EMERGENCY = "my legs went numb this morning"
WAIT_SECONDS = 90


def test_what_a_request_asks_for():
    assert asked_from({"session_id": "x"}) is NOT_ASKED
    assert asked_from({"last_reply": None}) == BEFORE_ALL
    assert asked_from({"last_reply": {"ts": 1700000000.25, "part": 1}}) == Cursor(1700000000.25, 1)
    for bad in ("1", [], {"ts": "1", "part": 0}, {"ts": 1.5, "part": True}, {"ts": float("nan"), "part": 0},
                {"ts": -1.0, "part": 0}, {"ts": 1.5, "part": -1}, {"ts": 1.5}):
        assert asked_from({"last_reply": bad}) is None, bad


def test_only_the_parts_after_the_cursor_in_order():
    def part(ts: float, number: int) -> tuple:
        return ("room", {"text": f"{ts}/{number}", "metadata": {"reply_ts": ts, "reply_part": number}})

    held = [part(10.0, 0), part(10.0, 1), part(11.5, 0), ("room", {"text": "no place"})]
    assert [p["text"] for p in parts_after(held, BEFORE_ALL)] == ["10.0/0", "10.0/1", "11.5/0"]
    assert [p["text"] for p in parts_after(held, Cursor(10.0, 0))] == ["10.0/1", "11.5/0"]
    assert parts_after(held, Cursor(11.5, 0)) == []
    assert cursor_of({"metadata": {"reply_ts": 3.0, "reply_part": 2}}) == Cursor(3.0, 2)
    assert cursor_of({"text": "x"}) is None


def replies(client: Client) -> List[dict]:
    return [data for event, data in client.events if event == "bot_uttered"]


def place(reply: dict) -> dict:
    return {"ts": reply["metadata"]["reply_ts"], "part": reply["metadata"]["reply_part"]}


def stored_parts(stack, conversation: str) -> List[str]:
    """The conversation's bot replies as the widget is sent them: split at blank lines."""
    return [part for event in stack.tracker(conversation)["events"] if event["event"] == "bot"
            for part in event["text"].strip().split("\n\n")]


def new_session(stack) -> tuple:
    """A session as the widget server issues it (without spending its per-address tokens)."""
    return tokens.issue(stack.env["WIDGET_SECRET"])


async def bind(client: Client, session_id: str, token: str, last_reply: Any = NOT_ASKED) -> dict:
    request = {"session_id": session_id, "token": token}
    if last_reply is not NOT_ASKED:
        request["last_reply"] = last_reply
    return await client.call("session_request", request)


async def until(condition, what: str) -> None:
    for _ in range(WAIT_SECONDS * 10):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {what}")


@pytest.mark.server
def test_a_reconnected_socket_gets_what_it_missed_after_the_reply_it_names(stack):
    async def scenario():
        session_id, token = new_session(stack)
        conversation = tokens.conversation_id(stack.env["WIDGET_SECRET"], session_id)
        async with Client(stack) as first:
            assert (await bind(first, session_id, token, None)) == {"ok": True, "session_id": session_id,
                                                                     "replayed": 0}
            assert (await first.call("user_uttered", {"message": QUESTION, "message_id": "a1"}))["ok"]
            assert (await first.call("user_uttered", {"message": EMERGENCY, "message_id": "a2"}))["ok"]
            sent = replies(first)
        # every part has its place, in the conversation's order, and they are what was stored
        places = [place(reply) for reply in sent]
        assert [(p["ts"], p["part"]) for p in places] == sorted((p["ts"], p["part"]) for p in places)
        assert len({(p["ts"], p["part"]) for p in places}) == len(places)
        assert [reply["text"] for reply in sent] == stored_parts(stack, conversation)
        assert sum(reply["metadata"].get("utter_action") == "utter_emergency" for reply in sent) == 1

        async with Client(stack) as again:  # one socket, bound again and again (as after reconnects)
            for last_shown, expected in ((None, sent), (places[0], sent[1:]), (places[-2], sent[-1:]),
                                         (places[-1], []), (NOT_ASKED, [])):
                again.events.clear()
                ack = await bind(again, session_id, token, last_shown)
                assert ack == {"ok": True, "session_id": session_id, "replayed": len(expected)}
                # the replay comes before the confirmation: the widget sends nothing new before it
                events = [event for event, _ in again.events]
                assert events == ["bot_uttered"] * len(expected) + ["session_confirm"], events
                # exactly as sent live: text, buttons, the emergency's metadata (its alert styling)
                assert replies(again) == expected
    asyncio.run(scenario())


@pytest.mark.server
def test_a_token_for_another_session_fetches_nothing_of_this_conversation(stack):
    async def scenario():
        session_id, token = new_session(stack)
        other_id, other_token = new_session(stack)
        async with Client(stack) as patient:
            await bind(patient, session_id, token, None)
            assert (await patient.call("user_uttered", {"message": EMERGENCY, "message_id": "p1"}))["ok"]
            assert replies(patient)
        async with Client(stack) as intruder:
            # the patient's session id with another session's token, a forged one, none
            for forged in (other_token, "v1.%s.0.sig" % session_id, None):
                ack = await intruder.call("session_request", {"session_id": session_id, "token": forged,
                                                              "last_reply": None})
                assert ack == {"ok": False, "error": "invalid_token"}
            # its own session, asking for everything: its own (empty) conversation only
            assert (await bind(intruder, other_id, other_token, None))["replayed"] == 0
            await asyncio.sleep(0.3)  # anything sent to it would have arrived by now
            assert replies(intruder) == []
            assert [event for event, _ in intruder.events] == ["session_refused"] * 3 + ["session_confirm"]
    asyncio.run(scenario())


@pytest.mark.server
def test_a_turn_still_running_when_the_chat_moves_to_a_new_socket_is_answered_there_once(stack):
    """The page reloads right after Enter: the old socket sent the message, the new
    one takes the chat over while (or after) the turn runs, and resends the message."""
    async def scenario():
        session_id, token = new_session(stack)
        conversation = tokens.conversation_id(stack.env["WIDGET_SECRET"], session_id)
        async with Client(stack) as before_reload, Client(stack) as after_reload:
            await bind(before_reload, session_id, token, None)
            await before_reload.sio.emit("user_uttered", {"message": EMERGENCY, "message_id": "r1"})
            await asyncio.sleep(0.05)
            await bind(after_reload, session_id, token, None)
            # the widget resends what was not acknowledged: the same turn is not run twice
            ack = await after_reload.call("user_uttered", {"message": EMERGENCY, "message_id": "r1"})
            while ack.get("error") == "busy":
                await asyncio.sleep(ack["retry_after"])
                ack = await after_reload.call("user_uttered", {"message": EMERGENCY, "message_id": "r1"})
            assert ack["ok"] and ack.get("duplicate") is True, ack
            await until(lambda: len(replies(after_reload)) >= len(stored_parts(stack, conversation)),
                        "the reply reached the new socket")
            texts = [reply["text"] for reply in replies(after_reload)]
            # (the widget skips a part at or before the newest it showed: the test does the same)
            shown: List[str] = []
            newest: Optional[tuple] = None
            for reply in replies(after_reload):
                at = (reply["metadata"]["reply_ts"], reply["metadata"]["reply_part"])
                if newest is None or at > newest:
                    shown.append(reply["text"])
                    newest = at
            assert shown == stored_parts(stack, conversation), texts
            assert "utter_emergency" in [r["metadata"].get("utter_action") for r in replies(after_reload)]
        users = [e["text"] for e in stack.tracker(conversation)["events"] if e["event"] == "user"]
        assert users == [EMERGENCY]
    asyncio.run(scenario())


@pytest.mark.server
def test_asking_again_on_a_bound_socket_gets_only_its_own_chats_replies(stack):
    """`missed_replies`: what the widget sends when a resent message proves handled
    already (its turn may have run on a server whose room this socket is not in)."""
    async def scenario():
        session_id, token = new_session(stack)
        other_id, other_token = new_session(stack)
        async with Client(stack) as patient:
            await bind(patient, session_id, token, None)
            assert (await patient.call("user_uttered", {"message": EMERGENCY, "message_id": "m1"}))["ok"]
            sent = replies(patient)
        async with Client(stack) as client:
            assert await client.call("missed_replies", {"last_reply": None}) == {"ok": False,
                                                                                "error": "no_session"}
            # bound to another chat, it gets that chat's replies (none), never the patient's
            await bind(client, other_id, other_token)
            assert await client.call("missed_replies", {"last_reply": None}) == {"ok": True, "replayed": 0}
            assert await client.call("missed_replies", {}) == {"ok": False, "error": "invalid"}
            assert replies(client) == []
            # the patient's chat, joined without asking (so it missed the turn), asks now
            await bind(client, session_id, token)
            assert replies(client) == []
            ack = await client.call("missed_replies", {"last_reply": place(sent[0])})
            assert ack == {"ok": True, "replayed": len(sent) - 1}
            assert replies(client) == sent[1:]
    asyncio.run(scenario())
