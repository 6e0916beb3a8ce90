"""The console's "Was this helpful?" page: patients' taps per answer id.

Its own blueprint, because it reads only the `feedback` table and knows nothing
of transcripts: staff see yes, no and the share helpful per catalogue answer,
and for each "no" the conversations behind it, linked to the existing
conversation view. The page shows no patient content (ids and counts only), so
opening a transcript from here is masked and audited exactly as from any list.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from bot.console.auth import login_required
from bot.db.feedback import helpfulness

bp = Blueprint("feedback", __name__)


@bp.route("/feedback")
@login_required
def answers():
    with current_app.config["ENGINE"].connect() as connection:
        rows = helpfulness(connection)
    return render_template("feedback.html", rows=rows,
                           yes=sum(row.yes for row in rows), no=sum(row.no for row in rows))
