"""The console over conversations produced by a real Rasa server (REST channel, SQL
tracker store), read from SQLite and, copied row for row, from PostgreSQL."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterator

import pytest
from sqlalchemy import MetaData, Table, create_engine, insert, select

from bot.console import auth, create_app
from bot.console.events import create_events_table_for_tests
from bot.db.session import get_engine
from tests.bot.console.helpers import ADMIN, listed, post, sign_in
from tests.support.assistant_stack import MODEL, free_port, start_assistant
from tests.server.conftest import new_sender

pytestmark = pytest.mark.server

SCRIPT = {
    "answered": ["What is kyphoplasty?", "How long does recovery take after kyphoplasty?"],
    "not_covered": ["How much does kyphoplasty cost with my insurance?"],
    "emergency": ["I had kyphoplasty and now my legs are numb and weak"],
    "contact": ["I want to talk to a real person", "my number is (212) 555-0199 or mail jane.roe@example.com"],
    "screening": ["Could kyphoplasty help me with my compression fracture?", "/affirm", "no", "yes"],
}


@pytest.fixture(scope="module")
def rasa_conversations(tmp_path_factory) -> Iterator[Dict]:
    """Conversations from a real assistant; the servers stop when this module ends."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}")
    work = tmp_path_factory.mktemp("console-rasa")
    servers = start_assistant(work, free_port())
    assistant = next(servers)
    try:
        senders, trackers = {}, {}
        for label, messages in SCRIPT.items():
            sender = f"{label}-{new_sender()}"
            for message in messages:
                assistant.replies(sender, message)
            senders[label] = sender
            trackers[label] = assistant.tracker(sender)
    finally:
        servers.close()  # stop the Rasa and action servers now
    yield {"url": assistant.database_url, "senders": senders, "trackers": trackers}


def copy_database(source_url: str, target_url: str) -> None:
    """Rasa's events and the project's rows, copied as they are into another database."""
    source, target = create_engine(source_url), get_engine(target_url)
    with target.begin() as connection:
        create_events_table_for_tests(connection)
    for name in ("events", "screening_results", "callback_requests"):
        table = Table(name, MetaData(), autoload_with=target)
        with source.connect() as reader, target.begin() as writer:
            rows = [dict(r._mapping) for r in reader.execute(select(Table(name, MetaData(), autoload_with=source)))]
            if rows:
                writer.execute(insert(table), rows)
    if target.dialect.name == "postgresql":
        with target.begin() as writer:  # ids were copied: move the sequences past them
            for name in ("events", "screening_results", "callback_requests"):
                writer.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 1)) FROM {name}")
    source.dispose()


def check_console(url: str, work: Path, conversations: Dict) -> None:
    from bot.settings import ConsoleSettings

    with get_engine(url).begin() as connection:
        auth.create_user(connection, ADMIN[0], ADMIN[1], "admin")
    app = create_app(url, settings=ConsoleSettings(secret_key="k" * 48, secret_file=work / "secret"))
    client = app.test_client()
    sign_in(client, *ADMIN)
    senders, trackers = conversations["senders"], conversations["trackers"]
    assert set(senders.values()) <= listed(client.get("/conversations"))

    # every reply's answer id, in order, exactly as Rasa's own HTTP API reports it
    for label, sender in senders.items():
        expected = [e.get("metadata", {}).get("utter_action") for e in trackers[label]["events"]
                    if e["event"] == "bot"]
        body = client.get(f"/conversations/view/{sender}").get_data(as_text=True)
        shown = re.findall(r'<code class="answer">([^<]+)</code>', body)
        assert shown == [a[len("utter_"):] if a else "no answer id" for a in expected], label
        intents = [e["parse_data"]["intent"]["name"] for e in trackers[label]["events"] if e["event"] == "user"]
        assert re.findall(r"<dt>Intent</dt><dd>([^ <]+)", body) == intents

    emergency_actions = [e.get("metadata", {}).get("utter_action") for e in trackers["emergency"]["events"]
                         if e["event"] == "bot"]
    assert "utter_emergency" in emergency_actions
    assert senders["emergency"] in listed(client.get("/queues/emergencies"))
    assert senders["emergency"] in listed(client.get("/conversations?emergency=1"))
    assert senders["not_covered"] in listed(client.get("/conversations?problem=not_covered"))
    assert senders["answered"] in listed(client.get("/conversations?answer=about/what_is"))
    assert senders["answered"] not in listed(client.get("/conversations?emergency=1"))
    assert listed(client.get("/conversations?channel=rest")) >= set(senders.values())
    assert senders["answered"] in listed(client.get("/conversations?q=recovery+take"))

    contact = client.get(f"/conversations/view/{senders['contact']}").get_data(as_text=True)
    assert "555-0199" not in contact and "jane.roe@example.com" not in contact
    shown = post(client, "/conversations/unmask", {"sender_id": senders["contact"]}).get_data(as_text=True)
    assert "(212) 555-0199" in shown and "jane.roe@example.com" in shown

    with get_engine(url).connect() as connection:
        outcomes = connection.execute(select(Table("screening_results", MetaData(), autoload_with=connection).c.outcome)
                                      ).scalars().all()
    for outcome in outcomes:
        assert senders["screening"] in listed(client.get(f"/conversations?outcome={outcome}"))

    # the content-gap queue finds the not-covered question from Rasa's own events
    gaps = client.get("/gaps").get_data(as_text=True)
    assert "How much does kyphoplasty cost with my insurance?" in gaps
    assert f'href="/conversations/view/{senders["not_covered"]}"' in gaps
    with get_engine(url).connect() as connection:
        questions = Table("content_gap_questions", MetaData(), autoload_with=connection)
        kinds = connection.execute(select(questions.c.sender_id, questions.c.reply_kind)).all()
    assert (senders["not_covered"], "not_covered") in kinds
    assert not {sender for sender, _ in kinds} & {senders["answered"], senders["emergency"]}

    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert dashboard.count("data:image/png;base64,") == 6
    assert f"<dt>Conversations</dt><dd>{len(senders)}</dd>" in dashboard

    # deletion on request removes the patient's events from Rasa's table
    victim = senders["contact"]
    post(client, "/conversations/delete", {"sender_id": victim, "confirm": victim})
    with get_engine(url).connect() as connection:
        events = Table("events", MetaData(), autoload_with=connection)
        assert connection.execute(select(events.c.id).where(events.c.sender_id == victim)).first() is None
        assert connection.execute(select(events.c.id).where(events.c.sender_id == senders["answered"])).first()


def test_console_reads_a_real_rasa_tracker_store_in_sqlite(rasa_conversations, tmp_path):
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    from bot.db.migrate import upgrade

    upgrade(target)
    # a copy, so both tests start from the same conversations (the original is Rasa's own file)
    copy_database(rasa_conversations["url"], target)
    check_console(target, tmp_path, rasa_conversations)


@pytest.mark.postgres
def test_console_reads_the_same_conversations_from_postgresql(rasa_conversations, postgres_url, tmp_path):
    copy_database(rasa_conversations["url"], postgres_url)
    check_console(postgres_url, tmp_path, rasa_conversations)
