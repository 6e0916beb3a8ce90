"""The check-in pages in a real browser (headless Chromium via Playwright) against a
real console server: enrol a patient (the consent checkbox refused when left
empty, the error shown by its field), land on the patient's page with the phone
masked, find the follow-up queue; axe-core finds no serious accessibility problem.
Screenshot: results/screenshots/console-checkin-enrol.png."""
from __future__ import annotations


import pytest

from tests.browser.console.support import chromium, PASSWORD, SHOTS, USER

pytestmark = pytest.mark.browser


def test_enrol_a_patient_for_check_ins(console_server):
    from tests.browser.widget.test_widget import axe_serious

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
        page = context.new_page()
        page.goto(f"{console_server}/checkins")
        assert "/sign-in" in page.url  # staff only
        page.get_by_label("Username").fill(USER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/checkins")
        page.get_by_role("link", name="Enrol a patient").click()
        page.wait_for_url("**/checkins/enrol")
        page.get_by_label("Patient's name").fill("Ada Patient")
        page.get_by_label("Phone number").fill("(201) 555-0123")
        page.get_by_label("Channel").select_option(label="WhatsApp")
        page.get_by_label("Procedure date").fill("2099-12-01")
        page.get_by_role("button", name="Enrol").click()
        page.wait_for_load_state()
        assert page.get_by_text("The patient's consent must be recorded before enrolling.").is_visible()
        assert page.get_by_label("Patient's name").input_value() == "Ada Patient"
        assert axe_serious(page) == []
        page.screenshot(path=str(SHOTS / "console-checkin-enrol.png"), full_page=True)

        page.get_by_label("The patient agreed to receive these check-ins").check()
        page.get_by_role("button", name="Enrol").click()
        page.wait_for_url("**/checkins/*")
        assert page.get_by_role("heading", name="Check-ins: Ada Patient").is_visible()
        assert "+12015550123" not in page.content() and "WhatsApp" in page.content()
        assert page.locator("table.list tbody tr").count() == 4  # days 1, 3, 7, 14
        assert axe_serious(page) == []
        page.get_by_role("button", name="show").click()
        page.wait_for_load_state()
        assert "+12015550123" in page.content()
        page.get_by_role("link", name="Check-in follow-up").click()
        page.wait_for_url("**/queues/follow-up")
        assert page.get_by_text("Nobody to follow up.").is_visible()
