"""Conversation list, transcript, review workflow, exports, masking — on both databases."""
from __future__ import annotations

import csv
import io
import json
import re

import yaml
from sqlalchemy import select

from bot.db.models import AuditEntry, CallbackRequest
from tests.bot.console.helpers import captions, listed, post


def audit_actions(populated):
    table = AuditEntry.__table__
    with populated["engine"].connect() as connection:
        return [tuple(r) for r in connection.execute(
            select(table.c.username, table.c.action, table.c.target).order_by(table.c.id))]


def all_listed(client, **query):
    """Every conversation id over all pages of the filtered list."""
    seen, page = set(), 1
    while True:
        response = client.get("/conversations", query_string={**query, "page": page})
        assert response.status_code == 200
        ids = listed(response)
        if not ids:
            return seen
        seen |= ids
        page += 1


def test_filters_match_the_generated_conversations(reviewer, populated):
    facts = populated["facts"]
    everyone = {f["sender_id"] for f in facts}
    assert all_listed(reviewer) == everyone
    assert all_listed(reviewer, emergency="1") == {f["sender_id"] for f in facts if f["emergency"]}
    assert all_listed(reviewer, problem="any") == {f["sender_id"] for f in facts if f["not_covered"] or f["fallback"]}
    assert all_listed(reviewer, problem="fallback") == {f["sender_id"] for f in facts if f["fallback"]}
    assert all_listed(reviewer, channel="twilio") == {f["sender_id"] for f in facts if f["channel"] == "twilio"}
    assert all_listed(reviewer, answer="recovery/timeline") == {
        f["sender_id"] for f in facts if "recovery/timeline" in f["answers"]}
    assert all_listed(reviewer, answer="risks") == {
        f["sender_id"] for f in facts if any(a.startswith("risks/") for a in f["answers"])}
    screened = {f["sender_id"] for f in facts if f["screening"] == "needs_mri"}
    assert all_listed(reviewer, outcome="needs_mri") == screened
    assert all_listed(reviewer, q="COST with my") == {
        f["sender_id"] for f in facts if f["not_covered"]} & all_listed(reviewer, q="cost")
    assert all_listed(reviewer, date_from="2999-01-01") == set()
    assert all_listed(reviewer, date_to="2000-01-01") == set()
    assert all_listed(reviewer, reviewed="no") == everyone


def test_list_is_sorted_by_last_activity_and_paged(reviewer, populated):
    first = reviewer.get("/conversations").get_data(as_text=True)
    stamps = re.findall(r"<td>(\d{4}-\d\d-\d\d \d\d:\d\d) UTC</td>", first)
    assert stamps == sorted(stamps, reverse=True) and len(stamps) == 25
    assert "Page 1 of 4" in first
    newest = max(populated["facts"], key=lambda f: f["last_at"])["sender_id"]
    assert re.search(r'href="/conversations/view/([^"]+)"', first).group(1) == newest


def test_transcript_shows_intent_confidence_entities_and_answer_ids(reviewer, populated):
    emergency = next(f for f in populated["facts"] if f["emergency"])
    body = reviewer.get(f"/conversations/view/{emergency['sender_id']}").get_data(as_text=True)
    assert "<dt>Intent</dt><dd>emergency (0." in body
    assert "warning_sign=" in body
    assert '<code class="answer">emergency</code>' in body
    answered = next(f for f in populated["facts"] if f["answers"])
    body = reviewer.get(f"/conversations/view/{answered['sender_id']}").get_data(as_text=True)
    assert f'<code class="answer">{answered["answers"][0]}</code>' in body
    assert f"<dt>Answer selector</dt><dd>{answered['answers'][0]} (0." in body
    assert reviewer.get("/conversations/view/no-such-conversation").status_code == 404
    assert ("rob.reviewer", "view_conversation", emergency["sender_id"]) in audit_actions(populated)


def test_review_tag_note_flag_and_nlu_export(reviewer, populated):
    sender = next(f for f in populated["facts"] if f["fallback"])["sender_id"]
    page = f"/conversations/view/{sender}"
    assert post(reviewer, "/conversations/review", {"sender_id": sender, "reviewed": "1"}, page).status_code == 302
    assert post(reviewer, "/conversations/tag", {"sender_id": sender, "tag": "Needs Answer"}, page).status_code == 302
    post(reviewer, "/conversations/note", {"sender_id": sender, "text": "Patient asked about cost twice."}, page)
    body = reviewer.get(page).get_data(as_text=True)
    event_id = re.search(r'name="event_id" value="(\d+)"', body).group(1)
    response = post(reviewer, "/conversations/flag",
                    {"sender_id": sender, "event_id": event_id, "expected": "recovery/timeline",
                     "note": "asked about walking"}, page)
    assert response.status_code == 302
    refused = post(reviewer, "/conversations/flag",
                   {"sender_id": sender, "event_id": event_id, "expected": "made_up/answer"}, page)
    assert refused.status_code == 302
    body = reviewer.get(page).get_data(as_text=True)
    assert "Reviewed by rob.reviewer" in body and "needs answer" in body
    assert "Patient asked about cost twice." in body and "<strong>recovery/timeline</strong>" in body
    assert "made_up/answer" not in body.split("Flagged messages")[-1]
    assert all_listed(reviewer, tag="needs answer") == {sender}
    assert sender in all_listed(reviewer, reviewed="yes") and sender not in all_listed(reviewer, reviewed="no")

    export = reviewer.get("/export/flagged-nlu.yml")
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    data = yaml.safe_load(export.get_data(as_text=True))
    assert data["version"] == "3.1"
    assert [item["intent"] for item in data["nlu"]] == ["recovery/timeline"]
    example = data["nlu"][0]["examples"].strip()
    assert example.startswith("- ") and len(example.splitlines()) == 1
    actions = [a for _u, a, _t in audit_actions(populated)]
    assert {"mark_reviewed", "tag", "note", "flag_message", "export_nlu"} <= set(actions)


def test_csv_and_jsonl_exports_follow_the_filters_and_mask_contacts(reviewer, populated):
    facts = populated["facts"]
    response = reviewer.get("/export/conversations.csv", query_string={"emergency": "1"})
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {r["conversation_id"] for r in rows} == {f["sender_id"] for f in facts if f["emergency"]}
    assert all(int(r["emergencies"]) >= 1 for r in rows)
    lines = reviewer.get("/export/conversations.jsonl").get_data(as_text=True).splitlines()
    records = [json.loads(line) for line in lines]
    assert {r["conversation_id"] for r in records} == {f["sender_id"] for f in facts}
    phones = [f["callback"]["phone"] for f in facts if f["callback"]]
    text = "\n".join(lines)
    assert phones and not any(p in text for p in phones)
    one = next(r for r in records if r["messages"])
    assert {m["role"] for m in one["messages"]} <= {"user", "bot"}
    actions = [a for _u, a, _t in audit_actions(populated)]
    assert "export_csv" in actions and "export_jsonl" in actions


def test_phone_numbers_are_masked_until_shown_on_demand(reviewer, populated):
    with_callback = next(f for f in populated["facts"] if f["callback"])
    phone, sender = with_callback["callback"]["phone"], with_callback["sender_id"]
    page = f"/conversations/view/{sender}"
    assert phone not in reviewer.get(page).get_data(as_text=True)
    queue = reviewer.get("/queues/callbacks").get_data(as_text=True)
    assert phone not in queue and "•••-•••-" + phone[-2:] in queue
    shown = post(reviewer, "/conversations/unmask", {"sender_id": sender}, page).get_data(as_text=True)
    assert phone in shown
    with populated["engine"].connect() as connection:
        callback_id = connection.execute(select(CallbackRequest.__table__.c.id).where(
            CallbackRequest.__table__.c.conversation_id == sender)).scalar()
    shown = post(reviewer, f"/queues/callbacks/{callback_id}/phone", {}, "/queues/callbacks").get_data(as_text=True)
    assert shown.count(phone) == 1
    assert ("rob.reviewer", "unmask_conversation", sender) in audit_actions(populated)
    assert ("rob.reviewer", "unmask_phone", sender) in audit_actions(populated)


def test_admin_reads_the_audit_log(admin, reviewer, populated):
    reviewer.get("/conversations/view/gen-00003")
    body = admin.get("/admin/audit", query_string={"action": "view_conversation"}).get_data(as_text=True)
    assert "rob.reviewer" in body and "gen-00003" in body
    assert captions(admin.get("/admin/audit", query_string={"user": "nobody"}))[0].startswith("0 entries")


def test_long_conversations_are_paged(reviewer, populated):
    from bot.console.sampledata import _bot, _user
    from bot.console.events import events
    from sqlalchemy import insert

    rows = []
    for i in range(130):
        rows.append(_user("long-one", 1_700_000_000 + i, f"question {i}", "about", 0.9, "rest"))
        rows.append(_bot("long-one", 1_700_000_000 + i + 0.5, "utter_about/what_is", "answer"))
    with populated["engine"].begin() as connection:
        connection.execute(insert(events), rows)
    first = reviewer.get("/conversations/view/long-one").get_data(as_text=True)
    assert "260 entries, page 1 of 3" in first and "question 0<" in first and "question 60<" not in first
    last = reviewer.get("/conversations/view/long-one?page=3").get_data(as_text=True)
    assert "question 129<" in last
