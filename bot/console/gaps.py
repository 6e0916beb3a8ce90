"""The console's content-gap queue: questions the document does not cover, grouped by meaning.

Its own blueprint over `gap_queue` (grouping and storage) and Rasa's `events`.
The questions are health data: the page is for signed-in staff only, shows them
masked (phone numbers, emails) to every role, links each to its conversation
(opened, and unmasked if need be, through the usual audited transcript view), and
writes every view, status change and export to the audit log, with the
conversations whose questions were shown. Any signed-in staff member can set a
group's status, as they can review and flag conversations.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
                   url_for)

from bot.console import audit, exports, gap_queue
from bot.console.auth import login_required

bp = Blueprint("gaps", __name__)


def engine():
    return current_app.config["ENGINE"]


def encoder():
    """The assistant's sentence encoder, loaded once per console process, on first use."""
    from components.sentence_encoder import ENCODER_FILES, shared_encoder

    model_dir = Path(current_app.config["CONSOLE"].encoder_dir)
    for name in ENCODER_FILES:
        if not (model_dir / name).is_file():
            raise FileNotFoundError(f"no {name} in the encoder folder")
    return shared_encoder(str(model_dir))


def refresh():
    """Places new questions: (placed, still waiting), or None if the encoder is missing
    (the stored groups are shown)."""
    settings = current_app.config["CONSOLE"]
    try:
        return gap_queue.refresh(engine(), lambda texts: encoder().encode(texts), settings.gap_similarity,
                                 limit=settings.gap_batch)
    except (OSError, RuntimeError, ValueError) as error:  # no model files, or ONNX Runtime refused them
        current_app.logger.warning("content gap refresh failed: %s", type(error).__name__)
        return None


def _page() -> int:
    try:
        return max(1, min(int(request.args.get("page") or 1), 1_000_000))
    except ValueError:
        return 1


@bp.route("/gaps")
@login_required
def queue():
    placed = refresh()
    status = request.args.get("status", "open")
    status = status if status in gap_queue.STATUSES + ("all",) else "open"
    page, size = _page(), current_app.config["CONSOLE"].page_size
    with engine().begin() as connection:
        groups, total = gap_queue.queue(connection, status, page, size)
        counts = gap_queue.status_counts(connection)
        shown = sorted({example.sender_id for group in groups for example in group.examples})
        audit.record(connection, "view_content_gaps", None,
                     {"status": status, "page": page, "conversations": shown})
    return render_template("gaps.html", groups=groups, total=total, status=status, counts=counts,
                           page=page, pages=max(1, math.ceil(total / size)), fresh=placed is not None,
                           waiting=placed[1] if placed else 0,
                           labels=gap_queue.STATUS_LABELS, statuses=gap_queue.STATUSES,
                           trend_days=gap_queue.TREND_DAYS)


@bp.route("/gaps/<row_id:group_id>/status", methods=["POST"])
@login_required
def set_status(group_id: int):
    status = request.form.get("status", "")
    if status not in gap_queue.STATUSES:
        abort(400)
    with engine().begin() as connection:
        previous = gap_queue.set_status(connection, group_id, status, g.user["username"])
        if previous is None:
            abort(404)
        audit.record(connection, "content_gap_status", f"content-gap:{group_id}",
                     {"status": status, "was": previous})
    flash(f"Group {group_id} marked “{gap_queue.STATUS_LABELS[status]}”.")
    back = request.form.get("back", "open")
    return redirect(url_for("gaps.queue", status=back if back in gap_queue.STATUSES + ("all",) else "open"))


@bp.route("/gaps/export/proposal.yml")
def export_proposal():
    if g.get("user") is None:  # as the other exports: a download gets a status, not a sign-in page
        return Response("Sign in first.\n", status=401, mimetype="text/plain")
    with engine().begin() as connection:
        groups = gap_queue.proposal_groups(connection)
        audit.record(connection, "export_gap_proposal", None,
                     {"groups": [group_id for group_id, _ in groups],
                      "questions": sum(len(texts) for _, texts in groups)})
    body = exports.gap_proposal_yaml(groups, datetime.now(timezone.utc))
    response = Response(body, mimetype="application/x-yaml")
    response.headers["Content-Disposition"] = 'attachment; filename="content-gap-proposal.yml"'
    return response
