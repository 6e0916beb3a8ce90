"""Nothing lost across a reload or a dropped connection (issue 12, item 5), in Chromium.

Outside testers lost replies for good, once the emergency reply to "my legs
went numb this morning", by reloading 0-50 ms after Enter: the turn ended
while no socket held the chat. The widget now names the newest reply it showed
when it reconnects, and gets the stored ones after it (channels/missed_replies.py).
"""
from __future__ import annotations

import re
from typing import List, Tuple

import pytest
from playwright.sync_api import Page, expect

from tests.browser.widget.test_widget import (EMERGENCY, QUESTION, TIMEOUT, ask, axe_serious, conversation,
                                              open_chat)

pytestmark = [pytest.mark.browser, pytest.mark.server]

SOCKET = re.compile(r".*/socket\.io/.*")
FOLLOW_UP = "What is kyphoplasty?"


def shown(page: Page) -> List[Tuple[str, str]]:
    """The log as (who, text), top to bottom."""
    return [tuple(item) for item in page.evaluate("""() => [...document.querySelectorAll('.kc-log .kc-msg')]
        .map(n => [n.classList.contains('kc-user') ? 'user' : n.classList.contains('kc-bot') ? 'bot' : 'note',
                   n.querySelector('.kc-text').textContent])""")]


def stored(stack, sender: str) -> List[Tuple[str, str]]:
    """The conversation as the tracker has it, each reply split into the parts the widget is sent."""
    log: List[Tuple[str, str]] = []
    for event in stack.tracker(sender)["events"]:
        if event["event"] == "user":
            log.append(("user", event["text"]))
        elif event["event"] == "bot":
            log += [("bot", part) for part in event["text"].strip().split("\n\n")]
    return log


def bot_turns_stored(stack, sender: str) -> int:
    return sum(event["event"] == "bot" for event in stack.tracker(sender)["events"])


def reopen_if_closed(page: Page) -> None:
    if page.locator(".kc-panel").is_hidden():
        page.get_by_role("button", name="Chat with us").click()


def everything_once_in_order(page: Page, stack) -> None:
    """One more turn first: any late copy of an earlier reply would be in the log before its answer."""
    ask(page, FOLLOW_UP)
    log = shown(page)
    assert log[0][0] == "bot"  # the widget's own greeting, never stored
    assert log[1:] == stored(stack, conversation(page, stack)), log


@pytest.mark.parametrize("delay_ms", [0, 50])
def test_a_reply_made_while_the_page_reloads_is_shown_once_in_order(stack, context, delay_ms):
    page = context.new_page()
    open_chat(page, stack)
    ask(page, QUESTION)
    box = page.get_by_role("textbox", name="Type your question")
    box.fill(EMERGENCY)
    box.press("Enter")
    if delay_ms:
        page.wait_for_timeout(delay_ms)
    page.reload()
    reopen_if_closed(page)
    urgent = page.locator(".kc-urgent")
    expect(urgent).to_have_count(1, timeout=TIMEOUT)
    expect(urgent).to_have_attribute("role", "alert")
    expect(page.locator(".kc-pending")).to_have_count(0, timeout=TIMEOUT)
    everything_once_in_order(page, stack)
    sender = conversation(page, stack)
    users = [e["text"] for e in stack.tracker(sender)["events"] if e["event"] == "user"]
    assert users == [QUESTION, EMERGENCY, FOLLOW_UP]  # the resent message was not run twice


def test_the_emergency_reply_that_came_while_the_page_was_away_survives_the_reload(stack, context):
    """Deterministic: the page hears nothing from the server once Enter is pressed,
    until the turn is stored; then it reloads."""
    page = context.new_page()
    away = {"now": False}

    def websocket(ws) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda frame: None if away["now"] else ws.send(frame))

    page.route_web_socket(SOCKET, websocket)
    open_chat(page, stack)
    ask(page, QUESTION)
    sender = conversation(page, stack)
    before = bot_turns_stored(stack, sender)
    away["now"] = True
    box = page.get_by_role("textbox", name="Type your question")
    box.fill(EMERGENCY)
    box.press("Enter")
    for _ in range(600):  # the turn ends on the server; the page receives none of it
        if bot_turns_stored(stack, sender) > before:
            break
        page.wait_for_timeout(100)
    assert bot_turns_stored(stack, sender) > before
    expect(page.locator(".kc-urgent")).to_have_count(0)
    away["now"] = False
    page.reload()
    reopen_if_closed(page)
    urgent = page.locator(".kc-urgent")
    expect(urgent).to_have_count(1, timeout=TIMEOUT)
    expect(urgent).to_have_attribute("role", "alert")
    expect(urgent.locator("svg.kc-urgent-icon")).to_have_count(1)
    expect(urgent.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    expect(page.locator(".kc-pending")).to_have_count(0, timeout=TIMEOUT)
    # the log opens at the newest message, the alert in view
    expect(urgent).to_be_in_viewport()
    assert axe_serious(page) == []
    everything_once_in_order(page, stack)
    # and it stays restored: another reload shows the same log from the browser's own copy
    count = page.locator(".kc-msg").count()
    page.reload()
    expect(page.locator(".kc-msg")).to_have_count(count)
    expect(page.locator(".kc-urgent[role=alert]")).to_have_count(1)


def test_a_connection_dropped_while_the_reply_is_in_flight_gets_it_once(stack, context):
    """The connection breaks just as the answer is sent: socket.io reconnects and
    the widget is sent what it missed, with its source and 'was this helpful?'."""
    page = context.new_page()
    dropped = {"done": False, "armed": False, "connections": 0}

    def websocket(ws) -> None:
        dropped["connections"] += 1
        server = ws.connect_to_server()

        def from_server(frame) -> None:
            if dropped["armed"] and not dropped["done"] and isinstance(frame, str) and '"bot_uttered"' in frame:
                dropped["done"] = True
                ws.close()
                server.close()
                return
            ws.send(frame)

        server.on_message(from_server)

    page.route_web_socket(SOCKET, websocket)
    open_chat(page, stack)
    ask(page, FOLLOW_UP)
    dropped["armed"] = True
    box = page.get_by_role("textbox", name="Type your question")
    box.fill(QUESTION)
    box.press("Enter")
    answer = page.locator(".kc-bot", has_text="Recovery is usually short")
    expect(answer).to_have_count(1, timeout=TIMEOUT)
    # it came over a new connection: the one it was first sent on was cut as it arrived
    assert dropped["done"] and dropped["connections"] == 2, dropped
    expect(page.locator(".kc-pending")).to_have_count(0, timeout=TIMEOUT)
    expect(page.get_by_role("alert")).to_be_hidden()
    expect(answer.get_by_role("button", name="Where this comes from")).to_have_count(1)
    expect(answer.get_by_role("group", name="Was this helpful?")).to_have_count(1)
    assert axe_serious(page) == []
    everything_once_in_order(page, stack)
    users = [e["text"] for e in stack.tracker(conversation(page, stack))["events"] if e["event"] == "user"]
    assert users == [FOLLOW_UP, QUESTION, FOLLOW_UP]
