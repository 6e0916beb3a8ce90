"""The `feedback` table (migration 0006) and bot/db/feedback.py, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect

from bot.db import feedback
from bot.db.session import get_engine

ANSWER = {"event": "bot", "timestamp": 1764540000.123456, "text": "Recovery is usually short.",
          "metadata": {"utter_action": "utter_recovery/timeline"}}


def test_the_migration_makes_the_table_with_its_index_and_one_row_per_answer(database_url):
    inspector = inspect(get_engine(database_url))
    columns = {c["name"] for c in inspector.get_columns("feedback")}
    assert columns == {"id", "conversation_id", "answer_id", "helpful", "message_ts", "channel", "created_at"}
    assert any(ix["column_names"] == ["conversation_id"] for ix in inspector.get_indexes("feedback"))
    assert any(set(u["column_names"]) == {"conversation_id", "message_ts"}
               for u in inspector.get_unique_constraints("feedback"))


def test_the_first_tap_stands_and_counts_are_per_answer(database_url):
    assert feedback.record("web-a", "recovery/timeline", False, ANSWER["timestamp"], "socketio")
    # a second tap on the same answer (a resend, another window) changes nothing
    assert not feedback.record("web-a", "recovery/timeline", True, ANSWER["timestamp"], "socketio")
    assert feedback.record("web-a", "recovery/timeline", True, ANSWER["timestamp"] + 30, "socketio")
    assert feedback.record("web-b", "recovery/timeline", False, ANSWER["timestamp"], "socketio")
    assert feedback.record("web-b", "procedure/overview", True, ANSWER["timestamp"] + 5, "socketio")
    with get_engine(database_url).connect() as connection:
        rows = {row.answer_id: row for row in feedback.helpfulness(connection)}
    timeline = rows["recovery/timeline"]
    assert (timeline.yes, timeline.no, timeline.total) == (1, 2, 3)
    assert timeline.share_helpful == pytest.approx(1 / 3)
    assert set(timeline.no_conversations) == {"web-a", "web-b"}
    assert (rows["procedure/overview"].yes, rows["procedure/overview"].no_conversations) == (1, [])


def test_only_an_answer_the_conversation_was_given_counts():
    events = [{"event": "user", "timestamp": ANSWER["timestamp"] - 1, "text": "how long is recovery"},
              ANSWER,
              {"event": "bot", "timestamp": ANSWER["timestamp"] + 1, "metadata": {"utter_action": "utter_disclaimer"}}]
    assert feedback.answer_given(events, ANSWER["timestamp"], "recovery/timeline") == ANSWER["timestamp"]
    assert feedback.answer_given(events, ANSWER["timestamp"], "procedure/overview") is None
    assert feedback.answer_given(events, ANSWER["timestamp"] + 0.5, "recovery/timeline") is None
    assert feedback.answer_given(events, ANSWER["timestamp"] - 1, "recovery/timeline") is None  # a user event
    assert feedback.catalogue_answer_id("utter_recovery/timeline") == "recovery/timeline"
    for other in ("utter_emergency", "utter_chitchat/greet", "action_x/y", None, 3):
        assert feedback.catalogue_answer_id(other) is None
    for bad in (True, float("nan"), float("inf"), -1, "1764540000", None):
        assert feedback.valid_timestamp(bad) is None
