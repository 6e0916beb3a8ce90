"""The checklist for older patients in Chromium: progress, "go back", a
caregiver's wording, the outcome as one message in view, and the printable
summary only for the browser holding the chat's token."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from bot.widget import tokens
from tests.browser.widget.test_widget import (AXE, SCREENSHOTS, TIMEOUT, ask, axe_serious, bot_actions, click_reply,
                                              conversation, open_chat)

pytestmark = [pytest.mark.browser, pytest.mark.server]

CAREGIVER = "Could kyphoplasty help my mom with her compression fracture?"


def last_bot(page: Page):
    return page.locator(".kc-bot").last


def text_sizes(page: Page):
    sizes = page.get_by_role("group", name="Text size")
    return [sizes.get_by_role("button", name=f"A, {name}", exact=True) for name in ("standard", "large", "largest")]


def axe_at_every_text_size(page: Page) -> None:
    for button in text_sizes(page):
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        assert axe_serious(page) == [], button.get_attribute("aria-label")
    text_sizes(page)[0].click()


def test_a_caregiver_s_checklist_with_progress_go_back_one_outcome_and_a_summary(stack, context):
    page = context.new_page()
    open_chat(page, stack)
    ask(page, CAREGIVER)
    expect(last_bot(page)).to_contain_text("a short checklist about your mom")

    click_reply(page, "Yes, let's start")
    expect(last_bot(page)).to_contain_text("Question 1 of 7. First, a safety question. Does your mom have")
    expect(page.locator(".kc-quick:enabled", has_text="Go back")).to_have_count(0)  # nothing before it
    click_reply(page, "No")
    expect(last_bot(page)).to_contain_text("Question 2 of 7.")
    expect(last_bot(page)).to_contain_text("in your mom's spine?")
    page.screenshot(path=str(SCREENSHOTS / "checklist-caregiver.png"))
    click_reply(page, "Yes")
    expect(last_bot(page)).to_contain_text("Question 3 of 7.")

    # the Go back button: the previous question again, with its number
    click_reply(page, "Go back")
    expect(page.locator(".kc-bot").nth(-2)).to_have_text(re.compile("previous question again"))
    expect(last_bot(page)).to_contain_text("Question 2 of 7.")
    click_reply(page, "Yes")
    click_reply(page, "Osteoporosis or weak bones")
    expect(last_bot(page)).to_contain_text("Question 4 of 7.")
    # typed: "I made a mistake"; a fall leaves out the bone treatment question
    ask(page, "I made a mistake")
    expect(last_bot(page)).to_contain_text("Question 3 of 7.")
    click_reply(page, "An injury or fall")
    expect(last_bot(page)).to_contain_text("Question 4 of 6.")
    page.screenshot(path=str(SCREENSHOTS / "checklist-progress.png"))
    click_reply(page, "Yes")
    click_reply(page, "No MRI yet")
    expect(last_bot(page)).to_contain_text("Question 6 of 6.")
    click_reply(page, "Bleeding problem or blood thinners")

    # the outcome: one message, the main line first, the notes in it, then the callback offer
    outcome = page.locator(".kc-bot", has_text="An MRI is usually needed first")
    expect(outcome).to_have_count(1)
    expect(outcome.locator(".kc-text")).to_have_text(re.compile(
        r"^An MRI is usually needed first.*\nKyphoplasty is not right for every spine fracture.*"
        r"\nYou mentioned a health problem", re.S))
    expect(last_bot(page)).to_contain_text("Would you like someone from the care team to call you?")
    after_last_answer = page.evaluate("""() => {
        const items = [...document.querySelectorAll('.kc-msg')];
        const last = items.map(n => n.classList.contains('kc-user')).lastIndexOf(true);
        return items.slice(last + 1).length; }""")
    assert after_last_answer == 2  # was four bubbles: outcome, two notes, offer
    actions = bot_actions(stack, conversation(page, stack))
    assert actions[-2:] == ["utter_screening_outcome_needs_mri", "utter_offer_callback"]
    # its main line is in view: the callback offer did not scroll it away
    top = page.evaluate("""() => {
        const log = document.querySelector('.kc-log');
        const item = [...document.querySelectorAll('.kc-bot')].find(n => n.textContent.includes('An MRI is usually'));
        return item.getBoundingClientRect().top - log.getBoundingClientRect().top; }""")
    assert top >= 0
    page.screenshot(path=str(SCREENSHOTS / "checklist-outcome.png"))
    page.add_script_tag(path=str(AXE))
    axe_at_every_text_size(page)

    # the printable summary: a plain page on the widget's server, in a new tab
    link = outcome.get_by_role("link", name=re.compile("Printable summary"))
    expect(link).to_have_attribute("href", stack.widget_url + "/summary")
    with context.expect_page() as opened:
        link.click()
    summary = opened.value
    summary.wait_for_load_state()
    expect(summary.get_by_role("heading", level=1)).to_have_text(
        "Kyphoplasty checklist: summary for your appointment", timeout=TIMEOUT)
    assert summary.url == stack.widget_url + "/summary"  # the token is off the address
    expect(link).to_have_attribute("href", stack.widget_url + "/summary")
    questions = summary.locator(".answers li")
    expect(questions).to_have_count(6)
    expect(questions.nth(0)).to_contain_text("Does your mom have new weakness")
    expect(questions.nth(0).locator(".answer")).to_have_text("Answer: No")
    expect(questions.nth(1).locator(".answer")).to_have_text("Answer: Yes")
    expect(questions.nth(2)).to_contain_text("what caused your mom's fracture")
    expect(questions.nth(2).locator(".answer")).to_have_text("Answer: An injury or fall")
    expect(questions.nth(4).locator(".answer")).to_have_text("Answer: No MRI yet")
    expect(summary.locator(".outcome p").first).to_have_text(re.compile("^An MRI is usually needed first"))
    expect(summary.locator(".not-diagnosis")).to_contain_text("not a diagnosis")
    expect(summary.locator(".date")).to_have_text(re.compile(r"^Date: \d{1,2} [A-Z][a-z]+ \d{4}$"))
    # nothing external: every resource the page loaded came from the widget's server
    origins = summary.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).origin)")
    assert set(origins) <= {stack.widget_url}
    summary.add_script_tag(path=str(AXE))
    assert axe_serious(summary) == []
    summary.screenshot(path=str(SCREENSHOTS / "checklist-summary.png"), full_page=True)
    summary.emulate_media(media="print")
    expect(summary.get_by_role("button", name="Print this page")).to_be_hidden()


def post_summary(stack, body: dict, origin: str = None):
    request = urllib.request.Request(stack.widget_url + "/summary", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **({"Origin": origin} if origin else {})},
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_the_summary_goes_only_to_the_holder_of_the_chat_s_token(stack, context):
    page = context.new_page()
    open_chat(page, stack)
    ask(page, "Could kyphoplasty help me with my compression fracture?")
    for title in ["Yes, let's start", "No", "No"]:
        click_reply(page, title)
    expect(page.locator(".kc-bot", has_text="it is not clear you have one")).to_have_count(1)
    session = page.evaluate("JSON.parse(sessionStorage.getItem('kyphoChat.v1')).session")

    status, data = post_summary(stack, {"session_id": session["id"], "token": session["token"]})
    assert status == 200 and [q["answer"] for q in data["questions"]] == ["No", "No"]
    assert data["questions"][0]["question"].startswith("Question 1 of 7. First, a safety question. Do you have")
    # the conversation comes from the signed token, never from an id the request names
    other_id = session["id"][::-1]
    assert post_summary(stack, {"session_id": other_id, "token": session["token"]})[0] == 403
    assert post_summary(stack, {"session_id": session["id"], "token": session["token"][:-2] + "xx"})[0] == 403
    assert post_summary(stack, {"session_id": session["id"]})[0] == 403
    # another page's origin is refused even with the token
    assert post_summary(stack, {"session_id": session["id"], "token": session["token"]},
                        origin="https://elsewhere.example")[0] == 403
    # a chat with no finished checklist has no summary
    fresh_id, fresh_token = tokens.issue(stack.env["WIDGET_SECRET"])
    assert post_summary(stack, {"session_id": fresh_id, "token": fresh_token})[0] == 404

    # the page opened without the chat's token says where to open it from, and shows nothing else
    bare = context.new_page()
    bare.goto(stack.widget_url + "/summary")
    expect(bare.locator("#status")).to_contain_text("Open this summary from the chat")
    expect(bare.locator(".answers")).to_have_count(0)
