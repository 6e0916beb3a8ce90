"""A real browser (headless Debian Chromium via Playwright) against a real console
server: sign in, filter, open a transcript, tag it, export. Screenshots go to
results/screenshots/console-*.png."""
from __future__ import annotations

import time

import pytest

from tests.browser.console.support import chromium, PASSWORD, SHOTS, USER

pytestmark = pytest.mark.browser


def test_sign_in_filter_open_tag_and_export(console_server, tmp_path):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
        page.goto(f"{console_server}/conversations")
        assert "/sign-in" in page.url  # anonymous: sent to sign in
        page.get_by_label("Username").fill(USER)
        page.get_by_label("Password").fill(PASSWORD)
        page.screenshot(path=str(SHOTS / "console-sign-in.png"))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/conversations")
        page.screenshot(path=str(SHOTS / "console-list.png"), full_page=False)

        page.get_by_label("Contains an emergency").check()
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**emergency=1**")
        caption = page.locator("table.list caption").inner_text()
        assert "conversations" in caption and not caption.startswith("0 ")
        page.screenshot(path=str(SHOTS / "console-filtered.png"))

        page.locator("table.list tbody a").first.click()
        page.wait_for_url("**/conversations/view/**")
        assert page.get_by_role("heading", name="Transcript").is_visible()
        assert page.locator("code.answer", has_text="emergency").count() >= 1
        page.get_by_label("Add a tag").fill("follow up")
        page.get_by_role("button", name="Add tag").click()
        page.wait_for_load_state()
        assert page.locator("ul.tags .tag", has_text="follow up").is_visible()
        page.get_by_role("button", name="Mark reviewed").click()
        page.wait_for_load_state()
        assert page.get_by_text("Reviewed by nurse.kim").is_visible()
        page.screenshot(path=str(SHOTS / "console-transcript.png"), full_page=True)

        page.goto(f"{console_server}/conversations?tag=follow+up")
        assert page.locator("table.list tbody a").count() == 1
        with page.expect_download() as download_info:
            page.get_by_role("link", name="CSV").click()
        download = download_info.value
        target = tmp_path / "export.csv"
        download.save_as(str(target))
        lines = target.read_text().splitlines()
        assert lines[0].startswith("conversation_id,") and len(lines) == 2 and "follow up" in lines[1]

        page.goto(f"{console_server}/dashboard")
        assert page.locator("figure.chart img").count() == 6
        page.screenshot(path=str(SHOTS / "console-dashboard.png"), full_page=True)
        page.get_by_role("button", name="Sign out").click()
        page.goto(f"{console_server}/dashboard")
        assert "/sign-in" in page.url


def test_search_terms_stay_out_of_the_access_log(console_server, tmp_path):
    import requests

    requests.get(f"{console_server}/conversations", params={"q": "zebra-kettle my mom's fall"}, timeout=10)
    requests.get(f"{console_server}/sign-in", params={"next": "/conversations?q=zebra-kettle"}, timeout=10)
    time.sleep(0.5)
    log = (tmp_path / "console.log").read_text(errors="replace")
    assert '"GET /conversations"' in log and '"GET /sign-in"' in log  # the requests are logged
    assert "zebra" not in log
