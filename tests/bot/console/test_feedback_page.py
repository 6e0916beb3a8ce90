"""The console's 'Was this helpful?' page: counts per answer id and the conversations behind each 'no'."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot.db import feedback
from bot.db.models import AuditEntry
from tests.bot.console.helpers import listed


def test_counts_per_answer_and_links_to_the_conversations_behind_a_no(populated, reviewer, anonymous):
    sender = populated["facts"][0]["sender_id"]
    url = populated["url"]
    feedback.record(sender, "recovery/timeline", False, 1764540000.5, "socketio", database_url=url)
    feedback.record("web-other", "recovery/timeline", True, 1764540001.5, "socketio", database_url=url)
    feedback.record("web-third", "recovery/timeline", True, 1764540002.5, "socketio", database_url=url)
    feedback.record("web-other", "procedure/overview", True, 1764540003.5, "socketio", database_url=url)

    assert anonymous.get("/feedback").status_code == 302  # staff only
    response = reviewer.get("/feedback")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="/feedback"' in page  # in the navigation
    rows = re.findall(r"<tr><td><code>([^<]+)</code></td><td>(\d+)</td><td>(\d+)</td>\s*<td>(\d+%)</td>", page)
    assert rows == [("recovery/timeline", "2", "1", "67%"), ("procedure/overview", "1", "0", "100%")]
    assert listed(response) == {sender}

    # the link opens the usual transcript, masked and audited as from any list
    transcript = reviewer.get(f"/conversations/view/{sender}")
    assert transcript.status_code == 200
    with populated["engine"].connect() as connection:
        actions = connection.execute(select(AuditEntry.action).where(AuditEntry.target == sender)).scalars().all()
    assert "view_conversation" in actions
