"""Forget me: the confirmation question, the deletion on a real database, and what
the tracker store keeps of the erasing turn."""
from __future__ import annotations

import json
from datetime import date

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, FollowupAction, Restarted, SlotSet, UserUttered
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, func, inspect, select, text

import actions.forget_me as forget_me_module
from actions.forget_me import ActionAskForgetMe, ActionForgetMe, ActionKeepConversation
from bot.console.events import create_events_table_for_tests, events
from bot.db.erasure import AUDIT_ACTION, TABLES
from bot.db.models import (AnswerFeedback, AuditEntry, CallbackRequest, Checkin, CheckinEnrolment,
                           ConversationNote, ConversationReview,
                           ConversationSummary, ScreeningResult, utc_now)
from stores.tracker_store import erasure_start
from tests.actions.helpers import DOMAIN, run, slot_events, tracker, uttered

ERASED = "forget-this-one"
KEPT = "someone-else"
FILLED = {"events", "screening_results", "callback_requests", "feedback", "conversation_notes",
          "conversation_reviews", "conversation_summaries", "checkin_enrolments", "checkins"}


def fill(url: str) -> None:
    """Two conversations with something in every table that can hold one."""
    engine = create_engine(url)
    create_events_table_for_tests(engine)
    with engine.begin() as connection:
        for sender in (ERASED, KEPT):
            connection.execute(events.insert(), [
                {"sender_id": sender, "type_name": "user", "timestamp": 1.0, "intent_name": "recovery",
                 "data": json.dumps({"event": "user", "text": "my mom fell, how long is recovery"})},
                {"sender_id": sender, "type_name": "bot", "timestamp": 2.0, "intent_name": None,
                 "data": json.dumps({"event": "bot", "text": "Most people..."})},
            ])
            screening_id = connection.execute(ScreeningResult.__table__.insert().values(
                conversation_id=sender, answers={"fracture_found": "yes"}, outcome="needs_mri", notes=[],
                flagged_for_care_team=False, created_at=utc_now())).inserted_primary_key[0]
            connection.execute(CallbackRequest.__table__.insert().values(
                conversation_id=sender, screening_id=screening_id, name="Mary Smith", phone="+12125550143",
                consent=True, status="open", created_at=utc_now()))
            connection.execute(AnswerFeedback.__table__.insert().values(
                conversation_id=sender, answer_id="recovery/timeline", helpful=False, message_ts=2.0,
                created_at=utc_now()))
            connection.execute(ConversationNote.__table__.insert().values(
                sender_id=sender, author="nurse", text="call back re: MRI", created_at=utc_now()))
            connection.execute(ConversationReview.__table__.insert().values(sender_id=sender, reviewed=True))
            enrolment = connection.execute(CheckinEnrolment.__table__.insert().values(
                name="Mary Smith", phone="+12125550143", channel="sms", conversation_id=sender,
                time_zone="America/New_York", procedure_date=date(2026, 1, 1), consent=True,
                consent_at=utc_now(), consent_by="nurse", enrolled_at=utc_now())).inserted_primary_key[0]
            connection.execute(Checkin.__table__.insert().values(
                enrolment_id=enrolment, day=1, due_at=utc_now(), state="answered", pain=4, warning_sign=False))
            connection.execute(ConversationSummary.__table__.insert().values(
                sender_id=sender, started_at=1.0, last_at=2.0, first_day="2026-01-01", last_day="2026-01-01",
                preview="my mom fell"))
    engine.dispose()


def rows_of(url: str, sender: str) -> dict:
    engine = create_engine(url)
    present = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        counts = {table.name: connection.execute(select(func.count()).select_from(table).where(
            table.c[column] == sender)).scalar_one() for table, column in TABLES if table.name in present}
        enrolments = select(CheckinEnrolment.id).where(CheckinEnrolment.conversation_id == sender)
        counts["checkin_enrolments"] = connection.execute(
            select(func.count()).select_from(enrolments.subquery())).scalar_one()
        counts["checkins"] = connection.execute(select(func.count()).select_from(Checkin.__table__).where(
            Checkin.enrolment_id.in_(enrolments))).scalar_one()
    engine.dispose()
    return counts


def confirmed(sender: str = ERASED, pending=True):
    return tracker({"forget_me_pending": pending}, "yes", intent="affirm", active_loop=None, sender_id=sender)


def test_asking_says_what_goes_and_clears_a_callback_offer():
    dispatcher = CollectingDispatcher()
    events_ = run(ActionAskForgetMe().run(dispatcher, tracker({"callback_offered": True}, "forget me",
                                                               intent="forget_me", active_loop=None), DOMAIN))
    assert uttered(dispatcher) == ["utter_confirm_forget_me"]
    assert slot_events(events_) == {"forget_me_pending": True, "callback_offered": False}
    buttons = DOMAIN["responses"]["utter_confirm_forget_me"][0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/affirm", "/deny"]


def test_yes_deletes_everything_of_the_conversation_and_restarts(database_url):
    fill(database_url)
    before = rows_of(database_url, ERASED)
    assert {name for name, n in before.items() if n} == FILLED
    dispatcher = CollectingDispatcher()
    result = run(ActionForgetMe().run(dispatcher, confirmed(), DOMAIN))
    assert uttered(dispatcher) == []  # the confirmation follows the restart
    assert [(e["event"], e.get("name")) for e in result] == [("restart", None), ("followup", "utter_forget_me_done")]
    assert set(rows_of(database_url, ERASED).values()) == {0}
    assert rows_of(database_url, KEPT) == before  # another conversation untouched

    engine = create_engine(database_url)
    with engine.connect() as connection:
        audit = connection.execute(select(AuditEntry.__table__)).mappings().all()
    engine.dispose()
    assert [(a["action"], a["target"], a["detail"]) for a in audit] == [(AUDIT_ACTION, None, None)]
    assert ERASED not in json.dumps([dict(a) for a in audit], default=str)


def test_without_the_confirmation_question_nothing_is_deleted(database_url):
    fill(database_url)
    dispatcher = CollectingDispatcher()
    result = run(ActionForgetMe().run(dispatcher, confirmed(pending=None), DOMAIN))
    assert uttered(dispatcher) == ["utter_forget_me_cancelled"]
    assert slot_events(result) == {"forget_me_pending": False}
    assert {name for name, n in rows_of(database_url, ERASED).items() if n} == FILLED


def test_no_keeps_everything(database_url):
    fill(database_url)
    dispatcher = CollectingDispatcher()
    result = run(ActionKeepConversation().run(dispatcher, tracker(
        {"forget_me_pending": True}, "no", intent="deny", active_loop=None, sender_id=ERASED), DOMAIN))
    assert uttered(dispatcher) == ["utter_forget_me_cancelled"]
    assert slot_events(result) == {"forget_me_pending": False}
    assert {name for name, n in rows_of(database_url, ERASED).items() if n} == FILLED


def test_a_database_without_the_feedback_table(sqlite_url, monkeypatch):
    fill(sqlite_url)
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE feedback"))
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    from bot.db import session as db_session
    from bot.settings import get_settings
    get_settings.cache_clear()
    db_session.get_engine.cache_clear()
    try:
        dispatcher = CollectingDispatcher()
        result = run(ActionForgetMe().run(dispatcher, confirmed(), DOMAIN))
    finally:
        get_settings.cache_clear()
        db_session.get_engine.cache_clear()
    assert result[0]["event"] == "restart"
    assert set(rows_of(sqlite_url, ERASED).values()) == {0}


def test_a_failed_deletion_says_so_and_does_not_restart(monkeypatch):
    def broken(_conversation_id):
        raise RuntimeError("database down")

    monkeypatch.setattr(forget_me_module, "erase_conversation", broken)
    dispatcher = CollectingDispatcher()
    result = run(ActionForgetMe().run(dispatcher, confirmed(), DOMAIN))
    assert uttered(dispatcher) == ["utter_forget_me_failed"]
    assert not any(e.get("event") == "restart" for e in result)


def test_the_store_keeps_the_erasing_turn_from_the_action_on():
    turn = [UserUttered("yes", {"name": "affirm"}), SlotSet("concern", "none"),
            ActionExecuted("action_forget_me"), Restarted(), FollowupAction("utter_forget_me_done"),
            ActionExecuted("utter_forget_me_done"), BotUttered("Done.", metadata={"utter_action": "utter_forget_me_done"}),
            ActionExecuted("action_listen")]
    assert erasure_start(turn) == 2
    assert not any(isinstance(e, UserUttered) for e in turn[erasure_start(turn):])
    # a failed deletion (no restart) and any other turn are stored whole
    failed = turn[:3] + [SlotSet("forget_me_pending", False)]
    assert erasure_start(failed) is None
    assert erasure_start([UserUttered("yes"), ActionExecuted("action_restart"), Restarted()]) is None
