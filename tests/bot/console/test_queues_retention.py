"""Queues, dashboard, retention and deletion on request, the CLIs — on both databases."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from sqlalchemy import func, insert, select, text

from bot.console import summaries
from bot.console.events import events
from bot.console.sampledata import _bot, _user
from bot.db.models import CallbackRequest, ConversationSummary, ScreeningResult, StaffUser
from tests.bot.console.helpers import captions, listed, post, sign_in
from tests.project import ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def count(populated, sql: str, **params) -> int:
    with populated["engine"].connect() as connection:
        return connection.execute(text(sql), params).scalar()


def test_emergency_queue_is_worked_through(reviewer, populated):
    emergencies = {f["sender_id"] for f in populated["facts"] if f["emergency"]}
    assert listed(reviewer.get("/queues/emergencies")) == emergencies
    first = sorted(emergencies)[0]
    post(reviewer, "/conversations/review", {"sender_id": first, "reviewed": "1", "back": "emergencies"},
         "/queues/emergencies")
    assert listed(reviewer.get("/queues/emergencies")) == emergencies - {first}
    assert listed(reviewer.get("/queues/emergencies?show=all")) == emergencies


def test_callback_queue_done_state_and_who_handled_it(reviewer, populated):
    open_ids = re.findall(r'id="cb(\d+)"', reviewer.get("/queues/callbacks").get_data(as_text=True))
    assert len(open_ids) == sum(1 for f in populated["facts"] if f["callback"])
    target = open_ids[0]
    response = post(reviewer, f"/queues/callbacks/{target}/status", {"done": "1", "note": "left voicemail"},
                    "/queues/callbacks")
    assert response.status_code == 302
    done = reviewer.get("/queues/callbacks?status=done").get_data(as_text=True)
    assert f'id="cb{target}"' in done and "rob.reviewer" in done and "left voicemail" in done
    assert f'id="cb{target}"' not in reviewer.get("/queues/callbacks").get_data(as_text=True)
    assert count(populated, "select count(*) from callback_requests where status='done' and handled_by='rob.reviewer'") == 1


def test_screening_queue_filters(reviewer, populated):
    needs_mri = [f for f in populated["facts"] if f["screening"] == "needs_mri"]
    page = reviewer.get("/queues/screenings?outcome=needs_mri&show=all")
    assert captions(page)[0].startswith(f"{len(needs_mri)} screenings")
    flagged = reviewer.get("/queues/screenings?flagged=1&show=all")
    assert captions(flagged)[0].startswith(f"{len(needs_mri)} screenings")


def test_dashboard_has_charts_and_matching_numbers(reviewer, populated):
    body = reviewer.get("/dashboard").get_data(as_text=True)
    assert body.count('src="data:image/png;base64,') == 6
    assert "Conversations per day" in body and "Top answer ids" in body and "Callback backlog" in body
    total = len(populated["facts"])
    assert f"<dt>Conversations</dt><dd>{total}</dd>" in body
    emergencies = sum(1 for f in populated["facts"] if f["emergency"])
    assert f"<dt>Conversations with an emergency</dt><dd>{emergencies}</dd>" in body
    bad = reviewer.get("/dashboard?date_from=2025-13-01&date_to=x").get_data(as_text=True)
    assert "is not a date" in bad


def test_summaries_follow_new_events_incrementally(reviewer, populated):
    reviewer.get("/conversations")
    with populated["engine"].begin() as connection:
        connection.execute(insert(events), [
            _user("late-arrival", time.time(), "my legs went numb", "emergency", 0.97, "rest"),
            _bot("late-arrival", time.time() + 0.1, "utter_emergency", "Call 911.")])
    assert "late-arrival" in listed(reviewer.get("/conversations?emergency=1"))
    before = count(populated, "select count(*) from conversation_summaries")
    assert summaries.rebuild(populated["engine"]) == before  # the incremental result equals a rebuild


def test_admin_deletes_a_conversation_on_request(admin, populated):
    victim = next(f for f in populated["facts"] if f["callback"])["sender_id"]
    page = f"/conversations/view/{victim}"
    wrong = post(admin, "/conversations/delete", {"sender_id": victim, "confirm": "nope"}, page)
    assert wrong.status_code == 302 and count(populated, "select count(*) from events where sender_id=:s", s=victim)
    post(admin, "/conversations/tag", {"sender_id": victim, "tag": "deleteme"}, page)
    response = post(admin, "/conversations/delete", {"sender_id": victim, "confirm": victim}, page)
    assert response.status_code == 302
    for table, column in [("events", "sender_id"), ("screening_results", "conversation_id"),
                          ("callback_requests", "conversation_id"), ("conversation_tags", "sender_id"),
                          ("conversation_summaries", "sender_id")]:
        assert count(populated, f"select count(*) from {table} where {column}=:s", s=victim) == 0, table
    assert admin.get(page).status_code == 404
    assert victim not in listed(admin.get("/conversations?q=" + victim))
    assert count(populated, "select count(*) from audit_log where action='delete_conversation' and target=:s",
                 s=victim) == 1
    assert count(populated, "select count(*) from events") > 0  # only that one


def test_retention_command_deletes_old_conversations_and_rows(admin, populated):
    admin.get("/conversations")  # summaries exist before retention
    old = time.time() - 400 * 86400
    with populated["engine"].begin() as connection:
        connection.execute(insert(events), [_user("ancient", old, "old question", "about", 0.9, "rest"),
                                            _bot("ancient", old + 1, "utter_about/what_is", "answer")])
        from datetime import datetime, timezone
        created = datetime.fromtimestamp(old, tz=timezone.utc)
        sid = connection.execute(insert(ScreeningResult.__table__).values(
            conversation_id="ancient", channel="rest", created_at=created, answers={}, outcome="chronic",
            notes=[], flagged_for_care_team=False)).inserted_primary_key[0]
        connection.execute(insert(CallbackRequest.__table__).values(
            conversation_id="ancient", channel="rest", created_at=created, screening_id=sid, name="Old Patient",
            phone="+12125550000", consent=True, status="done"))
        connection.execute(insert(ScreeningResult.__table__).values(  # orphan row, conversation long gone
            conversation_id="gone-already", channel="rest", created_at=created, answers={}, outcome="chronic",
            notes=[], flagged_for_care_team=False))
    assert "ancient" in listed(admin.get("/conversations?q=ancient"))
    kept = count(populated, "select count(*) from events where sender_id <> 'ancient'")
    dry = subprocess.run([sys.executable, "-m", "bot.console.retention", "--older-than-days", "365",
                          "--database-url", populated["url"], "--dry-run"],
                         env=ENV, capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0 and "would delete 1 conversations" in dry.stdout
    result = subprocess.run([sys.executable, "-m", "bot.console.retention", "--older-than-days", "365",
                             "--database-url", populated["url"]], env=ENV, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "deleted 1 conversations, 2 events" in result.stdout
    assert count(populated, "select count(*) from events where sender_id='ancient'") == 0
    assert count(populated, "select count(*) from events") == kept
    assert count(populated, "select count(*) from screening_results where conversation_id in ('ancient', 'gone-already')") == 0
    assert count(populated, "select count(*) from callback_requests where conversation_id='ancient'") == 0
    assert "ancient" not in listed(admin.get("/conversations?q=ancient"))
    assert count(populated, "select count(*) from audit_log where action='retention'") == 1


def test_users_cli_creates_an_account_that_can_sign_in(app, populated):
    command = [sys.executable, "-m", "bot.console.users", "--database-url", populated["url"], "create",
               "--username", "Carol", "--role", "reviewer", "--password-stdin"]
    result = subprocess.run(command, input="a long enough password\n", env=ENV, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "created reviewer carol" in result.stdout, result.stderr
    again = subprocess.run(command, input="a long enough password\n", env=ENV, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 2 and "already exists" in again.stderr
    weak = subprocess.run(command[:-4] + ["--username", "dave", "--role", "admin", "--password-stdin"],
                          input="short\n", env=ENV, capture_output=True, text=True, timeout=120)
    assert weak.returncode == 2
    client = app.test_client()
    sign_in(client, "carol", "a long enough password")
    assert client.get("/conversations").status_code == 200
    assert client.get("/admin/users").status_code == 403


def test_admin_creates_and_deactivates_accounts_in_the_browser_forms(admin, populated):
    post(admin, "/admin/users", {"username": "erin", "password": "erin's long password", "role": "reviewer"},
         "/admin/users")
    table = StaffUser.__table__
    with populated["engine"].connect() as connection:
        erin = connection.execute(select(table).where(table.c.username == "erin")).mappings().first()
    assert erin and erin["role"] == "reviewer" and erin["password_hash"].startswith("$argon2id$")
    post(admin, f"/admin/users/{erin['id']}", {"role": "admin"}, "/admin/users")
    post(admin, f"/admin/users/{erin['id']}", {"active": "0"}, "/admin/users")
    with populated["engine"].connect() as connection:
        erin = connection.execute(select(table).where(table.c.username == "erin")).mappings().first()
    assert erin["role"] == "admin" and not erin["active"]
