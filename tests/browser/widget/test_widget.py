"""The demo page and chat widget in Debian's Chromium, against the running stack."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bot.widget import tokens
from tests.project import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.server]

SCREENSHOTS = ROOT / "results" / "screenshots"
AXE = ROOT / "bot" / "widget" / "node_modules" / "axe-core" / "axe.min.js"
QUESTION = "How long does recovery take after kyphoplasty?"
TIMEOUT = 60_000


def open_chat(page: Page, stack) -> None:
    page.goto(stack.widget_url + "/")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.get_by_role("textbox", name="Type your question")).to_be_focused()


def ask(page: Page, text: str) -> None:
    before = page.locator(".kc-bot").count()
    box = page.get_by_role("textbox", name="Type your question")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".kc-bot")).not_to_have_count(before, timeout=TIMEOUT)
    expect(page.locator(".kc-pending")).to_have_count(0, timeout=TIMEOUT)


def click_reply(page: Page, title: str) -> None:
    before = page.locator(".kc-bot").count()
    page.locator(".kc-quick:enabled").filter(has_text=re.compile(f"^{re.escape(title)}$")).click()
    expect(page.locator(".kc-bot")).not_to_have_count(before, timeout=TIMEOUT)
    expect(page.locator(".kc-pending")).to_have_count(0, timeout=TIMEOUT)


def conversation(page: Page, stack) -> str:
    session_id = page.evaluate("JSON.parse(sessionStorage.getItem('kyphoChat.v1')).session.id")
    return tokens.conversation_id(stack.env["WIDGET_SECRET"], session_id)


def bot_actions(stack, sender: str) -> list:
    return [e.get("metadata", {}).get("utter_action")
            for e in stack.tracker(sender)["events"] if e["event"] == "bot"]


def test_question_checklist_reload_and_text_only(stack, context):
    page = context.new_page()
    open_chat(page, stack)
    expect(page.locator(".kc-disclaimer")).to_contain_text("not medical advice")
    ask(page, QUESTION)
    assert "utter_recovery/timeline" in bot_actions(stack, conversation(page, stack))

    # the screening checklist, answered by clicking its buttons
    ask(page, "Could kyphoplasty help me with my compression fracture?")
    for title in ["Yes, let's start", "No", "Yes", "Osteoporosis or weak bones", "Yes",
                  "Yes, it is still active", "Yes", "None of these"]:
        click_reply(page, title)
    expect(page.locator(".kc-bot", has_text="where kyphoplasty is often used")).to_have_count(1)
    actions = bot_actions(stack, conversation(page, stack))
    assert "utter_screening_outcome_commonly_considered" in actions

    # a reload keeps the conversation
    count = page.locator(".kc-msg").count()
    page.reload()
    expect(page.locator(".kc-msg")).to_have_count(count)
    expect(page.locator(".kc-user").first).to_have_text(re.compile(re.escape(QUESTION)))

    # markup typed by a user is shown as text, never run or rendered
    attack = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2"><b>bold</b>'
    ask(page, attack)
    expect(page.locator(".kc-user .kc-text").last).to_have_text(attack)
    assert page.locator(".kc-log b, .kc-log img, .kc-log script").count() == 0
    assert page.evaluate("window.__pwned") is None

    # start over: a new, empty conversation
    first = conversation(page, stack)
    page.get_by_role("button", name="Start over").click()
    expect(page.locator(".kc-user")).to_have_count(0)
    expect(page.locator(".kc-bot")).to_have_count(1)
    page.wait_for_function("JSON.parse(sessionStorage.getItem('kyphoChat.v1')).session !== null")
    assert conversation(page, stack) != first


def test_keyboard_only_oversized_and_accessibility(stack, context):
    page = context.new_page()
    page.goto(stack.widget_url + "/")
    launcher = page.get_by_role("button", name="Chat with us")
    for _ in range(12):  # Tab from the top of the page to the launcher
        page.keyboard.press("Tab")
        if launcher.evaluate("node => node === document.activeElement"):
            break
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Type your question")
    expect(box).to_be_focused()
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    expect(page.locator(".kc-bot")).not_to_have_count(1, timeout=TIMEOUT)
    # new messages are announced: they are added inside the polite live region
    log = page.get_by_role("log")
    assert log.get_attribute("aria-live") == "polite"
    assert log.locator(".kc-bot").count() >= 2

    box.fill("x" * 501)
    box.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("too long")
    expect(page.locator(".kc-user")).to_have_count(1)

    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]])
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-desktop.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator(".kc-panel")).to_be_visible()
    width = page.evaluate("document.querySelector('.kc-panel').getBoundingClientRect().width")
    assert width <= 390
    page.screenshot(path=str(SCREENSHOTS / "widget-phone.png"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")] == []


def test_server_down_then_back_loses_no_message(stack, context):
    page = context.new_page()
    down = {"now": True}

    def websocket(ws) -> None:  # the chat server is "down" until down["now"] is False
        ws.close() if down["now"] else ws.connect_to_server()

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), websocket)
    page.route("**/socket.io/**", lambda route: route.abort() if down["now"] else route.fallback())
    open_chat(page, stack)
    expect(page.get_by_role("alert")).to_contain_text("can't reach the assistant", timeout=TIMEOUT)
    expect(page.get_by_role("alert")).to_contain_text("(212) 736-5000")
    box = page.get_by_role("textbox", name="Type your question")
    box.fill(QUESTION)
    box.press("Enter")
    expect(page.locator(".kc-pending")).to_have_count(1)
    expect(page.locator(".kc-typing")).to_be_hidden()  # no spinning while nobody answers
    down["now"] = False  # the server is reachable again: socket.io reconnects
    expect(page.locator(".kc-pending")).to_have_count(0, timeout=TIMEOUT)
    expect(page.locator(".kc-bot")).not_to_have_count(1, timeout=TIMEOUT)  # answered
    expect(page.get_by_role("alert")).to_be_hidden()
    assert "utter_recovery/timeline" in bot_actions(stack, conversation(page, stack))


def test_a_second_browser_with_anothers_session_id_gets_nothing(stack, browser):
    first = browser.new_context()
    # bypass_csp only so the test itself can poll with a JS expression
    intruder = browser.new_context(bypass_csp=True)
    try:
        page = first.new_page()
        open_chat(page, stack)
        ask(page, QUESTION)
        stolen = page.evaluate("JSON.parse(sessionStorage.getItem('kyphoChat.v1'))")
        # the intruder has the session id (but not its token) and tries to resume it
        other = intruder.new_page()
        other.goto(stack.widget_url + "/")
        forged = {**stolen, "session": {"id": stolen["session"]["id"], "token": "v1.forged.0.sig"},
                  "messages": [], "outbox": [], "open": True}
        other.evaluate("state => sessionStorage.setItem('kyphoChat.v1', JSON.stringify(state))", forged)
        other.reload()
        other.wait_for_function(
            "JSON.parse(sessionStorage.getItem('kyphoChat.v1')).session.id !== %r" % stolen["session"]["id"],
            timeout=TIMEOUT)
        ask(other, "What did I ask before?")
        texts = other.locator(".kc-msg").all_text_contents()
        assert not any(QUESTION in text for text in texts)
        assert not any(QUESTION in text for text in [
            e.get("text") or "" for e in stack.tracker(conversation(other, stack))["events"]])
    finally:
        first.close()
        intruder.close()


def test_a_message_that_could_not_be_stored_says_so_and_is_sent_again(stack, context):
    from tests.channels.test_redelivery import conversations_locked

    page = context.new_page()
    open_chat(page, stack)
    taken = threading.Event()
    locker = threading.Thread(target=conversations_locked, args=(stack, taken))
    locker.start()
    assert taken.wait(10)
    try:
        box = page.get_by_role("textbox", name="Type your question")
        box.fill(QUESTION)
        box.press("Enter")
        expect(page.locator(".kc-retrying")).to_have_count(1, timeout=TIMEOUT)
        expect(page.get_by_role("alert")).to_contain_text("not sent yet")
    finally:
        locker.join()
    expect(page.locator(".kc-pending")).to_have_count(0, timeout=TIMEOUT)
    expect(page.locator(".kc-bot")).not_to_have_count(0, timeout=TIMEOUT)
    expect(page.locator(".kc-retrying")).to_have_count(0)
    sender = conversation(page, stack)
    assert [e["text"] for e in stack.tracker(sender)["events"] if e["event"] == "user"] == [QUESTION]
    assert "utter_recovery/timeline" in bot_actions(stack, sender)
