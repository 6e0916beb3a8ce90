"""'Was this helpful?' over the web channel: stored once, only for an answer the
socket's own conversation was given, only with a session bound by its token."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import create_engine, text

from bot.widget import tokens
from tests.channels.test_socketio import QUESTION, Client, new_session

pytestmark = pytest.mark.server


def feedback_rows(stack) -> list:
    engine = create_engine(stack.env["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(text(
                "SELECT conversation_id, answer_id, helpful FROM feedback")).mappings()]
    finally:
        engine.dispose()


def answer_meta(client: Client) -> dict:
    metas = [data.get("metadata") or {} for event, data in client.events if event == "bot_uttered"]
    given = [m for m in metas if m.get("utter_action") == "utter_recovery/timeline"]
    assert len(given) == 1, metas
    # only a catalogue answer is named for feedback: not the disclaimer after it
    assert [m for m in metas if "message_ts" in m] == given
    return given[0]


def test_feedback_only_for_an_answer_given_in_this_conversation(stack):
    async def scenario():
        session_id, token = new_session(stack)
        other_id, other_token = new_session(stack)
        sender = tokens.conversation_id(stack.env["WIDGET_SECRET"], session_id)
        async with Client(stack) as patient, Client(stack) as other, Client(stack) as intruder:
            # a socket bound to no conversation: refused before anything is read
            assert await intruder.call("feedback", {"answer_id": "recovery/timeline", "message_ts": 1.0,
                                                    "helpful": False}) == {"ok": False, "error": "no_session"}
            assert (await patient.call("session_request", {"session_id": session_id, "token": token}))["ok"]
            assert (await patient.call("user_uttered", {"message": QUESTION, "message_id": "q1"}))["ok"]
            meta = answer_meta(patient)
            tap = {"answer_id": "recovery/timeline", "message_ts": meta["message_ts"], "helpful": False}

            # someone who knows the session id but has no valid token gets nowhere
            refused = await intruder.call("session_request", {"session_id": session_id, "token": other_token})
            assert not refused["ok"]
            assert await intruder.call("feedback", tap) == {"ok": False, "error": "no_session"}
            # another conversation was never given this answer
            assert (await other.call("session_request", {"session_id": other_id, "token": other_token}))["ok"]
            assert await other.call("feedback", tap) == {"ok": False, "error": "unknown_answer"}
            # this conversation, but an answer it was not given, or not at that time
            assert await patient.call("feedback", {**tap, "answer_id": "procedure/overview"}) == \
                {"ok": False, "error": "unknown_answer"}
            assert await patient.call("feedback", {**tap, "message_ts": meta["message_ts"] - 5}) == \
                {"ok": False, "error": "unknown_answer"}
            # (each call counts against the chat's rate limit, like a message: a few only)
            for bad in ({**tap, "helpful": "no"}, {**tap, "answer_id": "chitchat/greet"}):
                assert await patient.call("feedback", bad) == {"ok": False, "error": "invalid"}
            assert all(r["conversation_id"] != sender for r in feedback_rows(stack))

            assert await patient.call("feedback", tap) == {"ok": True, "duplicate": False}
            # a second tap (a resend, another window) changes nothing: the first stands
            assert await patient.call("feedback", {**tap, "helpful": True}) == {"ok": True, "duplicate": True}
        mine = [r for r in feedback_rows(stack) if r["conversation_id"] == sender]
        assert mine == [{"conversation_id": sender, "answer_id": "recovery/timeline", "helpful": False}]
    asyncio.run(scenario())


def test_taps_are_rate_limited_with_the_chats_messages(stack):
    async def scenario():
        session_id, token = new_session(stack)
        async with Client(stack) as client:
            assert (await client.call("session_request", {"session_id": session_id, "token": token}))["ok"]
            acks = [await client.call("feedback", {"answer_id": "recovery/timeline", "message_ts": 1.0,
                                                   "helpful": True}) for _ in range(12)]
        assert acks[0] == {"ok": False, "error": "unknown_answer"}
        assert acks[-1]["error"] == "slow_down" and acks[-1]["retry_after"] >= 1
    asyncio.run(scenario())
