"""The demo page and chat widget in Debian's Chromium, against the running stack."""
from __future__ import annotations

import html
import json
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

    # start over, confirmed: a new, empty conversation
    first = conversation(page, stack)
    page.get_by_role("button", name="Start over").click()
    page.get_by_role("button", name="Yes, start over").click()
    expect(page.locator(".kc-user")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Type your question")).to_be_focused()
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


# ---- issue 12: where an answer comes from, the emergency reply, patient controls

EMERGENCY = "my legs went numb this morning"
CRISIS = "I want to kill myself"
CHECKLIST = "Could kyphoplasty help me with my compression fracture?"


def axe_serious(page: Page) -> list:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two CSS colours given as rgb()/rgba() strings or #rrggbb."""
    def luminance(colour: str) -> float:
        if colour.startswith("#"):
            channels = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
        else:
            channels = [float(c) for c in re.findall(r"[\d.]+", colour)[:3]]
        linear = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4
                  for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted([luminance(first), luminance(second)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def bot_sources(stack, sender: str) -> list:
    """The source passages of each catalogue answer, as the tracker has them."""
    return [e["metadata"]["metadata"]["source"] for e in stack.tracker(sender)["events"]
            if e["event"] == "bot" and (e.get("metadata") or {}).get("metadata", {}).get("source")]


def embed_config(page_html: str) -> str:
    return html.unescape(re.search(r'data-config="([^"]*)"', page_html).group(1))


def configured_as(page: Page, stack, **assistant) -> dict:
    """Open the demo page as the widget server builds it for a practice with these settings.

    The page itself still comes from the stack's widget server (a page the test
    served would be another origin, and Chromium keeps such a page off loopback);
    its script tag's config is replaced, before the widget runs, by the one a
    widget server with these settings writes into the page.
    """
    from bot.settings import Settings, WidgetSettings
    from bot.widget.server import WidgetServer

    widget = WidgetSettings(host="127.0.0.1", port=0, socket_url=stack.rasa_url,
                            max_message_chars=int(stack.env["WIDGET_MAX_MESSAGE_CHARS"]))
    server = WidgetServer(widget, stack.env["WIDGET_SECRET"], Settings(**assistant))
    server.server_close()
    config = embed_config(server.page.decode("utf-8"))
    page.add_init_script("""(config => new MutationObserver((records, observer) => {
        const script = document.querySelector('script[data-config]');
        if (script) { script.setAttribute('data-config', config); observer.disconnect(); }
    }).observe(document, {childList: true, subtree: true}))(%s)""" % json.dumps(config))
    return json.loads(config)


def at_bottom(page: Page) -> bool:
    return page.evaluate("""() => { const log = document.querySelector('.kc-log');
        return log.scrollHeight - log.scrollTop - log.clientHeight < 2; }""")


def test_where_this_comes_from_expands_the_quoted_source_as_text(stack, context):
    from bot.settings import Settings

    page = context.new_page()
    tamper = {"on": False}
    attack = '<img src=x onerror="window.__pwned=3"><b>bold</b>'

    def tampered(message):  # the server's frames, with markup put into a source passage when asked
        if tamper["on"] and isinstance(message, str) and message.startswith('42["bot_uttered"'):
            event, data = json.loads(message[2:])
            if (data.get("metadata") or {}).get("source"):
                data["metadata"]["source"] = [attack]
                return "42" + json.dumps([event, data])
        return message

    def websocket(ws) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda message: ws.send(tampered(message)))

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), websocket)
    open_chat(page, stack)
    ask(page, QUESTION)
    sender = conversation(page, stack)
    answer = page.locator(".kc-bot", has_text="Recovery is usually short")
    toggle = answer.get_by_role("button", name="Where this comes from")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert toggle.evaluate("node => node.tagName") == "BUTTON"
    passage = answer.locator("figure")
    expect(passage).to_be_hidden()
    # only the catalogue answer has one: not the disclaimer that follows it
    expect(page.get_by_role("button", name="Where this comes from")).to_have_count(1)

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(passage).to_be_visible()
    assert toggle.get_attribute("aria-controls") == passage.get_attribute("id")
    expect(passage.locator("figcaption cite")).to_have_text(Settings().source_title)
    # the passage the answer rests on, quoted, word for word as the catalogue (and tracker) has it
    assert passage.locator("blockquote").all_text_contents() == bot_sources(stack, sender)[0]
    assert bot_sources(stack, sender)[0] == [
        "Recovery time is generally short, with most patients resuming normal within a week or two."]
    assert passage.locator("blockquote p").evaluate(
        "node => getComputedStyle(node, '::before').content") == '"\u201c"'
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(passage).to_be_hidden()
    toggle.click()
    assert axe_serious(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-source.png"))

    # kept across a reload
    page.reload()
    expect(page.get_by_role("button", name="Where this comes from")).to_have_count(1)

    # a passage with markup in it is shown as text, never rendered or run
    tamper["on"] = True
    ask(page, "What is kyphoplasty?")
    latest = page.locator(".kc-source").last
    latest.get_by_role("button", name="Where this comes from").click()
    expect(latest.locator("blockquote")).to_have_text(attack)
    assert page.locator(".kc-log img, .kc-log b").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_the_emergency_reply_is_an_alert_with_the_practices_numbers_to_call(stack, context):
    import requests

    # the demo page carries the configured numbers; unset, the US ones
    config = json.loads(embed_config(requests.get(stack.widget_url + "/", timeout=10).text))
    assert (config["emergencyNumber"], config["crisisLine"]) == ("911", "988")

    # a practice elsewhere: its numbers, from its settings, on the links
    page = context.new_page()
    config = configured_as(page, stack, emergency_number="112", crisis_line="116 123")
    assert (config["emergencyNumber"], config["crisisLine"]) == ("112", "116 123")
    open_chat(page, stack)
    expect(page.locator(".kc-disclaimer")).to_contain_text("call 112")
    ask(page, QUESTION)
    ask(page, EMERGENCY)
    urgent = page.locator(".kc-urgent")
    expect(urgent).to_have_count(1)
    assert bot_actions(stack, conversation(page, stack)).count("utter_emergency") == 1
    expect(urgent).to_have_attribute("role", "alert")
    expect(page.get_by_role("alert").filter(has_text="This could be an emergency")).to_have_count(1)
    expect(urgent.locator("svg.kc-urgent-icon")).to_have_count(1)
    plain = page.locator(".kc-bot:not(.kc-urgent)").first
    style = "node => { const s = getComputedStyle(node); return [s.backgroundColor, s.borderLeftColor]; }"
    assert urgent.evaluate(style) != plain.evaluate(style)
    call = urgent.get_by_role("link", name="Call 112")
    expect(call).to_have_attribute("href", "tel:112")
    expect(urgent.get_by_role("link")).to_have_count(1)
    # nothing else became an alert
    expect(page.locator(".kc-bot[role=alert]")).to_have_count(1)

    ask(page, CRISIS)
    expect(urgent).to_have_count(2)
    crisis = urgent.last
    expect(crisis).to_contain_text("988")
    assert bot_actions(stack, conversation(page, stack)).count("utter_emergency") == 2
    expect(crisis.get_by_role("link", name="Call 116 123")).to_have_attribute("href", "tel:116123")
    expect(crisis.get_by_role("link", name="Text 116 123")).to_have_attribute("href", "sms:116123")
    expect(crisis.get_by_role("link", name="Call 112")).to_have_attribute("href", "tel:112")
    crisis.get_by_role("link", name="Call 116 123").focus()
    assert axe_serious(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-emergency.png"))

    # a reload keeps the alert and its links
    page.reload()
    expect(page.locator(".kc-urgent[role=alert]")).to_have_count(2)
    expect(page.locator(".kc-urgent").last.get_by_role("link")).to_have_count(3)


def test_text_size_is_remembered_and_the_largest_fits_a_phone(stack, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True,
                                  is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        open_chat(page, stack)
        ask(page, QUESTION)
        page.get_by_role("button", name="Where this comes from").click()
        ask(page, EMERGENCY)
        ask(page, CHECKLIST)
        expect(page.locator(".kc-quick:enabled")).not_to_have_count(0)
        sizes = page.get_by_role("group", name="Text size")
        expect(sizes.get_by_role("button")).to_have_count(3)

        def size(name: str):
            return sizes.get_by_role("button", name=f"A, {name}", exact=True)

        expect(size("standard")).to_have_attribute("aria-pressed", "true")
        font_size = "parseFloat(getComputedStyle(document.querySelector('.kc-root')).fontSize)"
        seen = []
        for name in ("standard", "large", "largest"):
            size(name).click()
            expect(size(name)).to_have_attribute("aria-pressed", "true")
            seen.append(page.evaluate(font_size))
            fits_the_phone(page)
            assert axe_serious(page) == [], name
        assert seen[0] < seen[1] < seen[2] and seen[0] >= 18
        assert [b.get_attribute("aria-pressed") for b in sizes.get_by_role("button").all()] == [
            "false", "false", "true"]
        page.screenshot(path=str(SCREENSHOTS / "widget-phone-largest.png"))

        # remembered: after a reload (and in a new tab) the text is still the largest
        page.reload()
        expect(page.locator(".kc-root")).to_have_class(re.compile(r"\bkc-text-largest\b"))
        expect(size("largest")).to_have_attribute("aria-pressed", "true")
        assert page.evaluate(font_size) == seen[2]
        assert page.evaluate("localStorage.getItem('kyphoChat.textSize')") == "largest"
        page.wait_for_function("""() => { const log = document.querySelector('.kc-log');
            return log.scrollHeight - log.scrollTop - log.clientHeight < 2; }""")
        fits_the_phone(page)
        other = context.new_page()
        other.goto(stack.widget_url + "/")
        expect(other.locator(".kc-root")).to_have_class(re.compile(r"\bkc-text-largest\b"))
    finally:
        context.close()


def fits_the_phone(page: Page) -> None:
    """No horizontal scrolling anywhere, and the text box and Send on screen, not covered."""
    widths = page.evaluate("""() => [document.documentElement.scrollWidth, window.innerWidth,
        ...['.kc-panel', '.kc-log', '.kc-form', '.kc-toolbar', '.kc-header'].flatMap(sel => {
            const node = document.querySelector(sel); return [node.scrollWidth, node.clientWidth]; })]""")
    assert widths[0] <= widths[1], widths
    for scroll, client in zip(widths[2::2], widths[3::2]):
        assert scroll <= client, widths
    viewport = page.viewport_size
    send = page.get_by_role("button", name="Send")
    for target in (page.get_by_role("textbox", name="Type your question"), send):
        expect(target).to_be_visible()
        box = target.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box
        assert target.evaluate("""node => { const r = node.getBoundingClientRect();
            return node.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)); }""")
    assert send.bounding_box()["height"] >= 44
    assert page.locator(".kc-log").bounding_box()["height"] >= 150  # room left to read the conversation


def test_start_over_asks_first_and_sits_away_from_close(stack, context):
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    open_chat(page, stack)
    ask(page, QUESTION)
    restart = page.get_by_role("button", name="Start over", exact=True)
    close = page.get_by_role("button", name="Close chat")
    # not next to the close button: another row, the other end of it
    assert not restart.evaluate("(node, other) => node.parentElement === other.parentElement",
                                close.element_handle())
    a, b = restart.bounding_box(), close.bounding_box()
    gap = max(b["x"] - (a["x"] + a["width"]), a["x"] - (b["x"] + b["width"]),
              b["y"] - (a["y"] + a["height"]), a["y"] - (b["y"] + b["height"]))
    assert gap >= 88, (a, b)
    session = page.evaluate("JSON.parse(sessionStorage.getItem('kyphoChat.v1')).session.id")
    count = page.locator(".kc-msg").count()

    restart.click()
    question = page.get_by_role("group", name=re.compile("^Start over\\?"))
    expect(question).to_be_visible()
    expect(restart).to_have_attribute("aria-expanded", "true")
    keep = question.get_by_role("button", name="No, keep this conversation")
    expect(keep).to_be_focused()  # the safe answer is the one Enter would give
    expect(question.get_by_role("button", name="Yes, start over")).to_be_visible()
    expect(page.locator(".kc-msg")).to_have_count(count)

    page.keyboard.press("Escape")  # cancels the question; the chat stays open
    expect(question).to_be_hidden()
    expect(page.locator(".kc-panel")).to_be_visible()
    expect(restart).to_be_focused()

    restart.click()
    keep.click()
    expect(question).to_be_hidden()
    expect(restart).to_have_attribute("aria-expanded", "false")
    expect(restart).to_be_focused()
    expect(page.locator(".kc-msg")).to_have_count(count)
    assert page.evaluate("JSON.parse(sessionStorage.getItem('kyphoChat.v1')).session.id") == session
    restart.click()
    assert axe_serious(page) == []
    assert dialogs == []  # the question is the widget's own, never window.confirm


def test_focus_returns_to_the_input_after_a_quick_reply_and_the_ring_has_contrast(stack, context):
    page = context.new_page()
    open_chat(page, stack)
    box = page.get_by_role("textbox", name="Type your question")
    click_reply(page, "What is kyphoplasty?")
    expect(box).to_be_focused()
    ask(page, CHECKLIST)
    click_reply(page, "Yes, let's start")
    expect(box).to_be_focused()
    page.keyboard.type("no")  # typing goes on where it was
    expect(box).to_have_value("no")
    box.fill("")

    ring = ("node => { const s = getComputedStyle(node);"
            " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }")
    style, width, colour = box.evaluate(ring)
    assert style == "solid" and float(width.rstrip("px")) >= 2
    assert contrast(colour, "#ffffff") >= 3, colour
    page.keyboard.press("Tab")  # to Send, by keyboard: :focus-visible
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_focused()
    style, width, colour = send.evaluate(ring)
    assert style == "solid" and contrast(colour, "#ffffff") >= 3, colour
    # in the dark header the ring is light, and still 3:1 against the header
    close = page.get_by_role("button", name="Close chat")
    close.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(close).to_be_focused()
    header = page.locator(".kc-header").evaluate("node => getComputedStyle(node).backgroundColor")
    style, width, colour = close.evaluate(ring)
    assert style == "solid" and contrast(colour, header) >= 3, (colour, header)


def test_after_a_reload_the_log_opens_at_the_newest_message(stack, context):
    page = context.new_page()
    open_chat(page, stack)
    ask(page, QUESTION)
    count = page.locator(".kc-msg").count()
    # a long conversation: earlier messages stored as the widget stores them
    page.evaluate("""() => { const key = 'kyphoChat.v1';
        const state = JSON.parse(sessionStorage.getItem(key));
        const earlier = [];
        for (let i = 0; i < 30; i++) { earlier.push({from: 'user', text: 'question ' + i},
                                                    {from: 'bot', text: 'answer ' + i}); }
        state.messages = earlier.concat(state.messages);
        sessionStorage.setItem(key, JSON.stringify(state)); }""")
    page.reload()
    expect(page.locator(".kc-msg")).to_have_count(count + 60)
    page.wait_for_timeout(300)  # the stylesheet and fonts have settled: it must still be at the bottom
    assert at_bottom(page)
    assert page.locator(".kc-log").evaluate("node => node.scrollHeight > node.clientHeight * 3")
    expect(page.locator(".kc-msg").last).to_be_in_viewport()
    expect(page.locator(".kc-msg").first).not_to_be_in_viewport()
    # closed and opened again: still the newest
    page.get_by_role("button", name="Close chat").click()
    page.get_by_role("button", name="Chat with us").click()
    assert at_bottom(page)


def test_forget_me_clears_the_history_and_starts_a_fresh_session(stack, context):
    """On the confirmation that the conversation was deleted (metadata.utter_action
    utter_forget_me_done), the widget forgets it too: sessionStorage, the log, the session."""
    import sqlite3

    page = context.new_page()
    open_chat(page, stack)
    ask(page, QUESTION)
    first = conversation(page, stack)
    ask(page, "please delete my chat")
    expect(page.locator(".kc-bot").last).to_contain_text("Shall I delete it?")
    click_reply(page, "Yes, delete it")
    expect(page.locator(".kc-bot", has_text="I have deleted this conversation")).to_have_count(1)
    expect(page.locator(".kc-user")).to_have_count(0)
    expect(page.locator(".kc-bot")).to_have_count(1)
    page.wait_for_function("JSON.parse(sessionStorage.getItem('kyphoChat.v1')).session !== null")
    stored = page.evaluate("sessionStorage.getItem('kyphoChat.v1')")
    assert "recovery" not in stored.lower() and "delete my chat" not in stored
    assert conversation(page, stack) != first
    with sqlite3.connect(stack.conversations_db) as connection:
        kinds = [row[0] for row in connection.execute(
            "select type_name from events where sender_id = ?", (first,))]
    assert "user" not in kinds and kinds.count("bot") == 1, kinds
    # a reload shows the fresh conversation, and it answers
    page.reload()
    expect(page.locator(".kc-user")).to_have_count(0)
    page.get_by_role("button", name="Chat with us").click() if page.locator(".kc-panel").is_hidden() else None
    ask(page, QUESTION)
    assert "utter_recovery/timeline" in bot_actions(stack, conversation(page, stack))
