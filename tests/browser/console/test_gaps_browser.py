"""The content-gap queue in a real browser (headless Chromium via Playwright) against
a real console server: find it in the navigation, read a group, mark it 'answer
needed', find it under that status, export the proposal; axe-core finds no serious
accessibility problem. Screenshot: results/screenshots/console-gaps.png."""
from __future__ import annotations

import re
import time

import pytest

from tests.browser.console.support import chromium, PASSWORD, SHOTS, USER, serve_console

pytestmark = pytest.mark.browser
COST = ["How much does kyphoplasty cost?", "hi, how much does kyphoplasty cost? call 0161 496 0000",
        "what is the price of kyphoplasty", "how expensive is kyphoplasty"]
DRIVING = ["When can I drive after kyphoplasty?", "can my husband drive a few days after the operation"]


def fill(connection) -> None:
    from bot.console.gap_samples import insert_questions

    now = time.time()
    insert_questions(connection, [(f"gap-cost-{i}", now - i * 3600, text) for i, text in enumerate(COST)]
                     + [(f"gap-drive-{i}", now - i * 7200, text) for i, text in enumerate(DRIVING)])


@pytest.fixture
def gaps_server(tmp_path):
    yield from serve_console(tmp_path, fill)


def test_triage_a_content_gap_and_export_the_proposal(gaps_server, tmp_path):
    from tests.browser.widget.test_widget import axe_serious

    with chromium() as browser:
        # bypass_csp only so the test can inject axe-core; the page itself runs under its CSP
        context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True,
                                      bypass_csp=True)
        page = context.new_page()
        page.goto(f"{gaps_server}/gaps")
        assert "/sign-in" in page.url  # staff only
        page.get_by_label("Username").fill(USER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/gaps")
        page.get_by_role("link", name="Content gaps").click()  # in the navigation
        page.wait_for_url("**/gaps")
        assert page.get_by_role("heading", name="Content gaps").is_visible()

        # the generated conversations' own cost questions may join the four asked here
        cost_row = page.locator("table.gaps tbody tr", has_text="what is the price of kyphoplasty")
        assert cost_row.count() == 1
        size = int(cost_row.locator("td").nth(1).locator("strong").inner_text())
        assert size >= 4 and f"{size} in the last 7 days" in cost_row.inner_text()
        assert "When can I drive" not in cost_row.inner_text()
        assert "496 0000" not in page.content()  # the phone number in a question is masked
        assert axe_serious(page) == []
        page.screenshot(path=str(SHOTS / "console-gaps.png"), full_page=True)

        group = cost_row.get_attribute("id")[1:]
        page.get_by_label(f"Mark group {group} as").select_option(label="Answer needed")
        cost_row.get_by_role("button", name="Save").click()
        page.wait_for_load_state()
        assert page.get_by_text(f"Group {group} marked “Answer needed”.").is_visible()
        assert page.locator(f"#g{group}").count() == 0  # no longer among the untriaged

        page.get_by_role("link", name=re.compile(r"^Answer needed")).click()
        page.wait_for_url("**status=answer_needed**")
        assert f"by {USER}" in page.locator(f"#g{group}").inner_text()
        with page.expect_download() as download_info:
            page.get_by_role("link", name=re.compile("Export 'answer needed'")).click()
        target = tmp_path / "proposal.yml"
        download_info.value.save_as(str(target))
        body = target.read_text()
        assert body.startswith("# PROPOSAL, NOT TRAINING DATA") and f"proposed/gap_{group}" in body
        assert "how expensive is kyphoplasty" in body and "When can I drive" not in body
