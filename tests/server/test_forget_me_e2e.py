"""Forget me over a real assistant (REST): after the confirmation, no table holds
anything of the conversation, on SQLite and on PostgreSQL."""
from __future__ import annotations

import json
import secrets
from typing import Dict, List

import pytest
from sqlalchemy import MetaData, create_engine, select

from bot.db.models import AnswerFeedback, AuditEntry, utc_now
from tests.support.assistant_stack import ROOT, start_assistant
from tests.server.conftest import new_sender

pytestmark = pytest.mark.server

CONVERSATION_COLUMNS = ("sender_id", "conversation_id")
# written by the patient and found nowhere afterwards
NAME = "Philomena Grabowski"
PHONE_DIGITS = "2127365000"
ASIDE = "my aunt Philomena asked me how long recovery takes after kyphoplasty"

CHECKLIST_AND_CALLBACK = [
    (ASIDE, None),
    ("could kyphoplasty help my compression fracture?", "utter_ask_screening_consent"),
    ("/affirm", "utter_ask_warning_signs"),
    ("no, none of those", "utter_ask_fracture_found"),
    ("yes, 3 weeks ago", "utter_ask_fracture_cause"),
    ('/inform{"choice": "osteoporosis"}', "utter_ask_pain_limits"),
    ("yes it hurts a lot and I can barely walk", "utter_ask_mri_active"),
    ("the mri said it's a new fracture", "utter_ask_osteoporosis_treated"),
    ("not really", "utter_ask_risk_conditions"),
    ("I take eliquis", "utter_offer_callback"),
    ("yes please", "utter_ask_callback_name"),
    (NAME, "utter_ask_callback_phone"),
    ("212-736-5000", "utter_ask_callback_consent"),
    ("yes I agree", "utter_handoff"),
]


def talk(assistant, sender: str, steps) -> None:
    for text, expected_last in steps:
        assert assistant.replies(sender, text), text
        if expected_last:
            assert assistant.bot_actions(sender)[-1] == expected_last, (text, assistant.bot_actions(sender)[-4:])


def leave_feedback(database_url: str, sender: str) -> None:
    """A "was this helpful?" tap (the widget sends it; REST has no such control)."""
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(AnswerFeedback.__table__.insert().values(
            conversation_id=sender, answer_id="recovery/timeline", helpful=False, message_ts=1.0,
            created_at=utc_now()))
    engine.dispose()


def rows_of_conversation(database_url: str, sender: str) -> Dict[str, List[dict]]:
    """Every row of every table with a conversation column that names `sender`."""
    engine = create_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    found: Dict[str, List[dict]] = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for column in CONVERSATION_COLUMNS:
                if column in table.c:
                    rows = [dict(r) for r in connection.execute(
                        select(table).where(table.c[column] == sender)).mappings()]
                    if rows:
                        found[table.name] = rows
    engine.dispose()
    return found


def anything_mentioning(database_url: str, needles: List[str]) -> List[str]:
    """Tables whose rows contain any of these strings, in any column."""
    engine = create_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    hits = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                dumped = json.dumps({k: str(v) for k, v in row.items()}).lower()
                hits += [f"{table.name}: {n}" for n in needles if n.lower() in dumped]
    engine.dispose()
    return hits


def forget_and_check(assistant, sender: str) -> None:
    talk(assistant, sender, CHECKLIST_AND_CALLBACK)
    leave_feedback(assistant.database_url, sender)
    before = rows_of_conversation(assistant.database_url, sender)
    assert {"events", "screening_results", "callback_requests", "feedback"} <= set(before)

    assistant.replies(sender, "please forget me, delete this chat")
    assert assistant.bot_actions(sender)[-1] == "utter_confirm_forget_me"
    replies = assistant.replies(sender, "yes")
    assert [r.get("text") for r in replies] and assistant.bot_actions(sender) == ["utter_forget_me_done"]

    left = rows_of_conversation(assistant.database_url, sender)
    assert set(left) == {"events"}, left  # nothing but the confirmation turn's own events
    kinds = [row["type_name"] for row in left["events"]]
    assert "user" not in kinds and kinds.count("bot") == 1 and "restart" in kinds, kinds
    assert [row["action_name"] for row in left["events"] if row["type_name"] == "action"][0] == "action_forget_me"
    assert anything_mentioning(assistant.database_url, [NAME, PHONE_DIGITS, "Philomena", "eliquis", sender
                                                        ]) == [f"events: {sender}"] * len(left["events"])

    engine = create_engine(assistant.database_url)
    with engine.connect() as connection:
        audit = [dict(r) for r in connection.execute(select(AuditEntry.__table__)).mappings()]
    engine.dispose()
    erased = [a for a in audit if a["action"] == "conversation_erased"]
    assert erased and all(a["target"] is None and a["detail"] is None for a in erased)

    # the same id now starts a new conversation: the first reply has its disclaimer again
    assistant.replies(sender, "what is kyphoplasty")
    assert assistant.bot_actions(sender)[-2:] == ["utter_about/what_is", "utter_disclaimer"]


def test_forget_me_after_a_checklist_and_a_callback_on_sqlite(assistant):
    forget_and_check(assistant, new_sender())


def test_forget_me_in_the_middle_of_the_checklist_no_then_yes(assistant):
    sender = new_sender()
    talk(assistant, sender, [(ASIDE, None), ("could kyphoplasty help me", "utter_ask_screening_consent"),
                             ("/affirm", "utter_ask_warning_signs"), ("no", "utter_ask_fracture_found")])
    assistant.replies(sender, "actually erase what I told you")
    tracker = assistant.tracker(sender)
    assert assistant.bot_actions(sender)[-1] == "utter_confirm_forget_me"
    assert tracker["active_loop"] in ({}, None) or not tracker["active_loop"].get("name")
    # "no": nothing deleted, and the "no" was not taken as a checklist answer
    assistant.replies(sender, "no")
    assert assistant.bot_actions(sender)[-1] == "utter_forget_me_cancelled"
    assert "events" in rows_of_conversation(assistant.database_url, sender)
    assert assistant.tracker(sender)["slots"]["fracture_found"] is None
    # a "yes" after the question lapsed deletes nothing either
    assistant.replies(sender, "yes")
    assert "utter_forget_me_done" not in assistant.bot_actions(sender)
    # asked again, confirmed with the button
    assistant.replies(sender, "delete my chat")
    assert assistant.bot_actions(sender)[-1] == "utter_confirm_forget_me"
    assistant.replies(sender, "/affirm")
    assert assistant.bot_actions(sender) == ["utter_forget_me_done"]
    left = rows_of_conversation(assistant.database_url, sender)
    assert set(left) == {"events"} and "user" not in [r["type_name"] for r in left["events"]]
    assert anything_mentioning(assistant.database_url, ["Philomena"]) == []


POSTGRES_ENDPOINTS = """\
action_endpoint:
  url: ${ACTION_SERVER_URL}
  headers:
    X-Action-Token: ${ACTION_SERVER_TOKEN}
tracker_store:
  type: stores.tracker_store.DurableSQLTrackerStore
  dialect: "postgresql"
  url: ${DB_HOST}
  port: ${DB_PORT}
  db: ${DB_NAME}
  username: ${DB_USER}
  password: ${DB_PASSWORD}
lock_store:
  type: in_memory
"""


@pytest.mark.postgres
def test_forget_me_on_postgresql(postgres_url, tmp_path):
    from urllib.parse import urlparse

    database = urlparse(postgres_url)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(POSTGRES_ENDPOINTS)
    env = {"DB_HOST": database.hostname, "DB_PORT": str(database.port or 5432),
           "DB_NAME": database.path.lstrip("/"), "DB_USER": database.username or "postgres", "DB_PASSWORD": ""}
    stack = start_assistant(tmp_path, extra_env=env, database_url=postgres_url, endpoints_file=endpoints)
    assistant = next(stack)
    try:
        forget_and_check(assistant, f"pg-{secrets.token_hex(4)}")
    finally:
        stack.close()
