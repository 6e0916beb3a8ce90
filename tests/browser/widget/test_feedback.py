"""'Was this helpful?' under a catalogue answer, in Debian's Chromium against the running stack."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.browser.widget.test_widget import QUESTION, SCREENSHOTS, TIMEOUT, ask, axe_serious, conversation, open_chat

pytestmark = [pytest.mark.browser, pytest.mark.server]


def feedback_rows(stack, sender: str) -> list:
    engine = create_engine(stack.env["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(text(
                "SELECT conversation_id, answer_id, helpful, channel, message_ts FROM feedback "
                "WHERE conversation_id = :sender"), {"sender": sender}).mappings()]
    finally:
        engine.dispose()


def test_no_under_an_answer_is_stored_once_and_never_takes_the_text_box(stack, context):
    page = context.new_page()
    open_chat(page, stack)
    ask(page, QUESTION)
    sender = conversation(page, stack)
    answer = page.locator(".kc-bot", has_text="Recovery is usually short")
    question = answer.get_by_role("group", name="Was this helpful?")
    yes, no = question.get_by_role("button", name="Yes"), question.get_by_role("button", name="No")
    expect(yes).to_be_visible()
    assert no.evaluate("node => node.tagName") == "BUTTON"
    # only under the catalogue answer, not under the disclaimer or the greeting
    expect(page.get_by_role("group", name="Was this helpful?")).to_have_count(1)
    assert axe_serious(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-feedback.png"))

    # the patient has started typing the next question: tapping "No" leaves them typing
    box = page.get_by_role("textbox", name="Type your question")
    box.fill("and after that")
    expect(box).to_be_focused()
    no.click()
    expect(answer.locator(".kc-feedback")).to_have_text("Thank you for telling us.", timeout=TIMEOUT)
    expect(page.get_by_role("group", name="Was this helpful?")).to_have_count(0)
    expect(box).to_be_focused()
    expect(box).to_have_value("and after that")

    rows = feedback_rows(stack, sender)
    assert len(rows) == 1, rows
    assert rows[0]["answer_id"] == "recovery/timeline"
    assert not rows[0]["helpful"]
    assert rows[0]["channel"] == "socketio"
    answered_at = [e["timestamp"] for e in stack.tracker(sender)["events"] if e["event"] == "bot"
                   and (e.get("metadata") or {}).get("utter_action") == "utter_recovery/timeline"]
    assert rows[0]["message_ts"] == pytest.approx(answered_at[0], abs=1e-6)

    # after a reload the thanks stays, no buttons come back, nothing more is stored
    page.reload()
    expect(page.locator(".kc-feedback")).to_have_text("Thank you for telling us.")
    expect(page.get_by_role("button", name="No")).to_have_count(0)
    assert len(feedback_rows(stack, sender)) == 1
