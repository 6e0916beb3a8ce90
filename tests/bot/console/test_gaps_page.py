"""The content-gap queue built from Rasa-format tracker events in a real database
(SQLite and PostgreSQL): grouping, masking, audit, statuses that survive new
questions, the proposal export, and erasure."""
from __future__ import annotations

import json
import re
import time

import pytest
import yaml
from sqlalchemy import select

from bot.console import auth, create_app
from bot.console.gap_queue import gap_groups, gap_questions
from bot.console.gap_samples import insert_questions
from bot.db.erasure import erase_conversation
from bot.db.models import AuditEntry
from bot.db.session import get_engine
from tests.bot.console.helpers import ADMIN, REVIEWER, post, sign_in

NOW = time.time()
DAY = 86400
COST = ["How much does kyphoplasty cost?", "how much does kyphoplasty cost?? call me on 212 555 0199",
        "hi, what is the price of kyphoplasty", "how expensive is kyphoplasty"]
PARKING = ["Where do we park at the hospital?", "is there parking at the hospital", "where can I park at the clinic"]


@pytest.fixture
def gaps(database_url, console_settings):
    engine = get_engine(database_url)
    with engine.begin() as connection:
        auth.create_user(connection, ADMIN[0], ADMIN[1], "admin")
        auth.create_user(connection, REVIEWER[0], REVIEWER[1], "reviewer")
        insert_questions(connection, [
            # two cost questions this week, two the week before
            ("cost-1", NOW - 1 * DAY, COST[0]), ("cost-2", NOW - 2 * DAY, COST[1]),
            ("cost-3", NOW - 9 * DAY, COST[2]), ("cost-4", NOW - 10 * DAY, COST[3]),
            ("park-1", NOW - 3 * DAY, PARKING[0]), ("park-2", NOW - 4 * DAY, PARKING[1]),
            ("park-3", NOW - 5 * DAY, PARKING[2]),
            ("unsure-1", NOW - 1 * DAY, "zorbly flim the wotsit", "utter_not_sure"),
            # answered, an emergency and a button payload are no content gaps
            ("answered-1", NOW - 1 * DAY, "How long does recovery take?", "utter_recovery/timeline"),
            ("emergency-1", NOW - 1 * DAY, "my legs went numb", "utter_emergency"),
            ("button-1", NOW - 1 * DAY, "/affirm"),
        ])
    app = create_app(database_url, settings=console_settings)
    app.config["TESTING"] = True
    return {"app": app, "engine": engine}


def signed_in(gaps, who=REVIEWER):
    client = gaps["app"].test_client()
    sign_in(client, *who)
    return client


def group_of(engine, sender: str) -> int:
    with engine.connect() as connection:
        return connection.execute(select(gap_questions.c.group_id).where(gap_questions.c.sender_id == sender)).scalar_one()


def audit_entries(engine, action: str):
    with engine.connect() as connection:
        return connection.execute(select(AuditEntry.username, AuditEntry.target, AuditEntry.detail)
                                  .where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def row_of(page: str, group_id: int) -> str:
    match = re.search(rf'<tr id="g{group_id}">(.*?)</tr>', page, re.S)
    assert match, f"group {group_id} not on the page"
    return match.group(1)


def test_the_queue_groups_unanswered_questions_by_meaning(gaps):
    engine = gaps["engine"]
    anonymous = gaps["app"].test_client()
    assert anonymous.get("/gaps").status_code == 302  # staff only
    response = signed_in(gaps).get("/gaps")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="/gaps"' in page  # in the navigation

    cost, parking, unsure = group_of(engine, "cost-1"), group_of(engine, "park-1"), group_of(engine, "unsure-1")
    assert {group_of(engine, f"cost-{n}") for n in range(1, 5)} == {cost}
    assert {group_of(engine, f"park-{n}") for n in range(1, 4)} == {parking}
    assert len({cost, parking, unsure}) == 3
    with engine.connect() as connection:
        senders = set(connection.execute(select(gap_questions.c.sender_id)).scalars())
        kinds = dict(connection.execute(select(gap_questions.c.sender_id, gap_questions.c.reply_kind)).all())
    assert senders == {"cost-1", "cost-2", "cost-3", "cost-4", "park-1", "park-2", "park-3", "unsure-1"}
    assert kinds["unsure-1"] == "not_sure" and kinds["cost-1"] == "not_covered"

    # largest first, with size, trend and the newest examples, masked
    assert page.index(f'id="g{cost}"') < page.index(f'id="g{parking}"') < page.index(f'id="g{unsure}"')
    cost_row = row_of(page, cost)
    assert "<strong>4</strong>" in cost_row
    assert "2 in the last 7 days, 2 in the 7 before" in cost_row and ">steady<" in cost_row
    assert "555 0199" not in page and "•••-•••-99" in cost_row
    assert 'href="/conversations/view/cost-1"' in cost_row
    assert "How long does recovery take" not in page and "/affirm" not in page
    assert "1 not sure" in row_of(page, unsure)

    # the view is audited with the conversations whose questions it showed
    (username, _, detail), = audit_entries(engine, "view_content_gaps")
    assert username == REVIEWER[0]
    assert {"cost-1", "park-1", "unsure-1"} <= set(json.loads(detail)["conversations"])

    # a second load places nothing twice
    signed_in(gaps).get("/gaps")
    with engine.connect() as connection:
        assert len(connection.execute(select(gap_questions.c.event_id)).all()) == 8
        assert len(connection.execute(select(gap_groups.c.id)).all()) == 3


def test_a_status_is_stored_audited_and_kept_when_new_questions_arrive(gaps):
    engine = gaps["engine"]
    client = signed_in(gaps)
    client.get("/gaps")
    cost = group_of(engine, "cost-1")
    response = post(client, f"/gaps/{cost}/status", {"status": "answer_needed"}, page="/gaps")
    assert response.status_code == 302
    with engine.connect() as connection:
        status, status_by = connection.execute(select(gap_groups.c.status, gap_groups.c.status_by)
                                               .where(gap_groups.c.id == cost)).one()
    assert (status, status_by) == ("answer_needed", REVIEWER[0])
    assert [(t, json.loads(d)) for _, t, d in audit_entries(engine, "content_gap_status")] == [
        (f"content-gap:{cost}", {"status": "answer_needed", "was": "open"})]
    assert f'id="g{cost}"' not in client.get("/gaps").get_data(as_text=True)  # no longer untriaged

    # a new patient asks the same thing: same group, status kept, counted as new
    with engine.begin() as connection:
        insert_questions(connection, [("cost-5", time.time(), "how much will kyphoplasty cost me")])
    page = client.get("/gaps?status=answer_needed").get_data(as_text=True)
    assert group_of(engine, "cost-5") == cost
    row = row_of(page, cost)
    assert "<strong>5</strong>" in row and "1 asked since" in row and f"by {REVIEWER[0]}" in row

    assert post(client, f"/gaps/{cost}/status", {"status": "closed"}, page="/gaps").status_code == 400
    assert post(client, "/gaps/99999/status", {"status": "done"}, page="/gaps").status_code == 404
    assert gaps["app"].test_client().post(f"/gaps/{cost}/status", data={"status": "done"}).status_code == 400  # no CSRF


def test_answer_needed_groups_export_as_a_proposal_that_cites_nothing(gaps):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    engine = gaps["engine"]
    client = signed_in(gaps, ADMIN)
    client.get("/gaps")
    cost, parking = group_of(engine, "cost-1"), group_of(engine, "park-1")
    post(client, f"/gaps/{cost}/status", {"status": "answer_needed"}, page="/gaps")
    post(client, f"/gaps/{parking}/status", {"status": "out_of_scope"}, page="/gaps")

    response = client.get("/gaps/export/proposal.yml")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert body.startswith("# PROPOSAL, NOT TRAINING DATA")
    assert "555 0199" not in body
    data = yaml.safe_load(body)
    intent = f"proposed/gap_{cost}"
    assert [item["intent"] for item in data["nlu"]] == [intent]  # only 'answer needed'
    response_name = f"utter_{intent}"
    (placeholder,) = data["responses"][response_name]
    assert placeholder["metadata"]["source"] == [] and placeholder["metadata"]["needs_clinical_writing"] is True
    assert placeholder["text"].startswith("NEEDS CLINICAL WRITING")

    # Rasa itself reads it as NLU training data with a retrieval intent and its response
    training = RasaYAMLReader().reads(body)
    examples = sorted(m.get("text") for m in training.intent_examples)
    assert examples == sorted([COST[0], "how much does kyphoplasty cost?? call me on •••-•••-99",
                               COST[2], COST[3]])
    assert {m.get("intent") for m in training.intent_examples} == {"proposed"}
    assert response_name in training.responses

    ((username, _, detail),) = audit_entries(engine, "export_gap_proposal")
    assert username == ADMIN[0] and json.loads(detail) == {"groups": [cost], "questions": 4}
    assert gaps["app"].test_client().get("/gaps/export/proposal.yml").status_code == 401  # as other exports


def test_erasing_a_conversation_removes_its_questions_and_groups_left_empty(gaps, database_url):
    engine = gaps["engine"]
    client = signed_in(gaps)
    client.get("/gaps")
    cost, unsure = group_of(engine, "cost-2"), group_of(engine, "unsure-1")
    erase_conversation("cost-2", database_url)
    erase_conversation("unsure-1", database_url)
    page = client.get("/gaps").get_data(as_text=True)
    with engine.connect() as connection:
        assert connection.execute(select(gap_questions.c.event_id).where(
            gap_questions.c.sender_id.in_(["cost-2", "unsure-1"]))).first() is None
        groups = dict(connection.execute(select(gap_groups.c.id, gap_groups.c.members)).all())
    assert unsure not in groups and groups[cost] == 3
    assert f'id="g{unsure}"' not in page and "<strong>3</strong>" in row_of(page, cost)


def test_a_backlog_is_grouped_a_batch_per_page_load_oldest_first(gaps, database_url, console_settings):
    engine = gaps["engine"]
    app = create_app(database_url, settings=console_settings.copy(update={"gap_batch": 5}))
    client = app.test_client()
    sign_in(client, *REVIEWER)
    page = client.get("/gaps").get_data(as_text=True)
    assert "3 more questions are waiting to be grouped" in page
    with engine.connect() as connection:
        first = set(connection.execute(select(gap_questions.c.sender_id)).scalars())
    assert first == {"cost-3", "cost-4", "park-1", "park-2", "park-3"}  # the five oldest
    page = client.get("/gaps").get_data(as_text=True)
    assert "waiting to be grouped" not in page
    # the later ones joined the groups the earlier ones made
    assert group_of(engine, "cost-1") == group_of(engine, "cost-4")
    with engine.connect() as connection:
        assert len(connection.execute(select(gap_questions.c.event_id)).all()) == 8


def test_without_the_encoder_the_page_says_so_and_shows_what_is_stored(gaps, database_url, console_settings,
                                                                        tmp_path):
    app = create_app(database_url, settings=console_settings.copy(update={"encoder_dir": tmp_path / "none"}))
    client = app.test_client()
    sign_in(client, *REVIEWER)
    response = client.get("/gaps")
    assert response.status_code == 200
    assert "the sentence encoder is not built" in response.get_data(as_text=True)
    with gaps["engine"].connect() as connection:
        assert connection.execute(select(gap_questions.c.event_id)).first() is None
