"""The console's pages. Every view needs a signed-in user (the blueprint's
before_request); admin-only views also check the role."""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Mapping, Optional

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template,
                   request, stream_with_context, url_for)
from sqlalchemy import delete, func, insert, select, update

from bot.console import audit, auth, charts, exports, queries, summaries
from bot.console.catalogue import expected_answers, valid_expected
from bot.console.queries import (Filters, callbacks, flags, notes, reviews, screenings, tags)
from bot.console.retention import delete_conversations

bp = Blueprint("console", __name__)

TAG = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,47}$")
TRANSCRIPT_PAGE = 100
EXPORT_ENDPOINTS = {"console.export_csv", "console.export_jsonl", "console.export_nlu"}


@bp.before_request
def require_sign_in():
    if g.get("user") is None:
        if request.endpoint in EXPORT_ENDPOINTS:
            return Response("Sign in first.\n", status=401, mimetype="text/plain")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    return None


def engine():
    return current_app.config["ENGINE"]


def settings():
    return current_app.config["CONSOLE"]


def page_number(source: Optional[Mapping[str, str]] = None) -> int:
    """The requested page (query string by default), clamped; junk means page 1."""
    try:
        return max(1, min(int((source or request.args).get("page") or 1), 1_000_000))
    except ValueError:
        return 1


def form_sender() -> str:
    sender_id = (request.form.get("sender_id") or "").strip()
    if not sender_id or len(sender_id) > 255:
        abort(400)
    return sender_id


def back_to_conversation(sender_id: str, anchor: str = ""):
    return redirect(url_for("console.conversation", sender_id=sender_id) + anchor)


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- conversations ------------------------------------------------------------------

@bp.route("/")
def index():
    return redirect(url_for("console.conversations"))


@bp.route("/conversations")
def conversations():
    summaries.refresh(engine())
    filters = Filters.from_args(request.args)
    page, size = page_number(), settings().page_size
    with engine().connect() as connection:
        items, total = queries.list_conversations(connection, filters, page, size)
        choices = queries.filter_choices(connection)
    pages = max(1, math.ceil(total / size))
    return render_template("conversations.html", items=items, total=total, page=page, pages=pages,
                           filters=filters, args=filters.as_args(), choices=choices)


def _render_conversation(sender_id: str, unmasked: bool, page: int):
    with engine().connect() as connection:
        if not queries.conversation_exists(connection, sender_id):
            abort(404)
        items, total = queries.transcript(connection, sender_id, page, TRANSCRIPT_PAGE)
        state = queries.review_state(connection, sender_id)
    pages = max(1, math.ceil(total / TRANSCRIPT_PAGE))
    return render_template("conversation.html", sender_id=sender_id, items=items, page=page,
                           pages=pages, total=total, unmasked=unmasked, state=state,
                           expected=expected_answers(), low=settings().low_confidence)


def _audited_conversation(sender_id: str, page: int, unmasked: bool):
    """Every look at a transcript, masked or not, is written to the audit log first."""
    with engine().begin() as connection:
        if not queries.conversation_exists(connection, sender_id):
            abort(404)
        action = "unmask_conversation" if unmasked else "view_conversation"
        audit.record(connection, action, sender_id, {"page": page})
    return _render_conversation(sender_id, unmasked=unmasked, page=page)


@bp.route("/conversations/view/<path:sender_id>")
def conversation(sender_id: str):
    return _audited_conversation(sender_id, page_number(), unmasked=False)


@bp.route("/conversations/unmask", methods=["POST"])
def unmask_conversation():
    return _audited_conversation(form_sender(), page_number(request.form), unmasked=True)


@bp.route("/conversations/review", methods=["POST"])
def review():
    sender_id = form_sender()
    reviewed = request.form.get("reviewed") == "1"
    with engine().begin() as connection:
        values = {"reviewed": reviewed, "reviewed_by": g.user["username"] if reviewed else None,
                  "reviewed_at": now() if reviewed else None}
        done = connection.execute(update(reviews).where(reviews.c.sender_id == sender_id).values(**values))
        if done.rowcount == 0:
            connection.execute(insert(reviews).values(sender_id=sender_id, **values))
        audit.record(connection, "mark_reviewed" if reviewed else "mark_unreviewed", sender_id)
    flash("Marked as reviewed." if reviewed else "Marked as not reviewed.")
    if request.form.get("back") == "emergencies":
        return redirect(url_for("console.emergencies"))
    return back_to_conversation(sender_id)


@bp.route("/conversations/tag", methods=["POST"])
def tag():
    sender_id = form_sender()
    value = " ".join((request.form.get("tag") or "").lower().split())
    if not TAG.match(value):
        flash("A tag is 1 to 48 letters, digits, spaces, - or _.", "error")
        return back_to_conversation(sender_id, "#review")
    with engine().begin() as connection:
        if request.form.get("remove") == "1":
            connection.execute(delete(tags).where(tags.c.sender_id == sender_id, tags.c.tag == value))
            audit.record(connection, "untag", sender_id, {"tag": value})
            flash(f"Tag “{value}” removed.")
        else:
            exists = connection.execute(select(tags.c.tag).where(
                tags.c.sender_id == sender_id, tags.c.tag == value)).first()
            if not exists:
                connection.execute(insert(tags).values(sender_id=sender_id, tag=value,
                                                       added_by=g.user["username"], added_at=now()))
            audit.record(connection, "tag", sender_id, {"tag": value})
            flash(f"Tagged “{value}”.")
    return back_to_conversation(sender_id, "#review")


@bp.route("/conversations/note", methods=["POST"])
def note():
    sender_id = form_sender()
    text = (request.form.get("text") or "").strip()
    if not text or len(text) > 4000:
        flash("A note needs 1 to 4000 characters.", "error")
        return back_to_conversation(sender_id, "#review")
    with engine().begin() as connection:
        connection.execute(insert(notes).values(sender_id=sender_id, author=g.user["username"],
                                                text=text, created_at=now()))
        audit.record(connection, "note", sender_id)
    flash("Note added.")
    return back_to_conversation(sender_id, "#notes")


@bp.route("/conversations/flag", methods=["POST"])
def flag():
    sender_id = form_sender()
    expected = (request.form.get("expected") or "").strip()
    try:
        event_id = int(request.form.get("event_id") or "")
    except ValueError:
        abort(400)
    if not valid_expected(expected):
        flash("Choose the answer the message should have had from the list.", "error")
        return back_to_conversation(sender_id, f"#m{event_id}")
    with engine().begin() as connection:
        message = queries.user_event(connection, sender_id, event_id)
        if message is None:
            abort(404)
        connection.execute(insert(flags).values(
            sender_id=sender_id, event_id=event_id, text=message["text"],
            predicted_intent=message["intent"], given_answer=message["given"],
            expected_answer=expected, note=(request.form.get("note") or "").strip()[:2000] or None,
            flagged_by=g.user["username"], flagged_at=now()))
        audit.record(connection, "flag_message", sender_id, {"event_id": event_id, "expected": expected})
    flash(f"Message flagged: should have been “{expected}”.")
    return back_to_conversation(sender_id, f"#m{event_id}")


@bp.route("/flags")
def flagged():
    with engine().connect() as connection:
        rows = connection.execute(select(flags).order_by(flags.c.id.desc()).limit(500)).mappings().all()
    return render_template("flags.html", rows=rows)


@bp.route("/flags/<row_id:flag_id>/delete", methods=["POST"])
def unflag(flag_id: int):
    with engine().begin() as connection:
        row = connection.execute(select(flags.c.sender_id).where(flags.c.id == flag_id)).first()
        if row is None:
            abort(404)
        connection.execute(delete(flags).where(flags.c.id == flag_id))
        audit.record(connection, "unflag_message", row.sender_id, {"flag": flag_id})
    flash("Flag removed.")
    return redirect(request.form.get("back") == "flags" and url_for("console.flagged")
                    or url_for("console.conversation", sender_id=row.sender_id))


@bp.route("/conversations/delete", methods=["POST"])
@auth.admin_required
def delete_conversation():
    sender_id = form_sender()
    if request.form.get("confirm", "").strip() != sender_id:
        flash("To delete, type the conversation id exactly.", "error")
        return back_to_conversation(sender_id, "#delete")
    with engine().begin() as connection:
        counts = delete_conversations(connection, [sender_id])
        audit.record(connection, "delete_conversation", sender_id, counts)
    flash(f"Conversation {sender_id} and its records were deleted.")
    return redirect(url_for("console.conversations"))


# --- exports ------------------------------------------------------------------------

def _download(body, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/export/conversations.csv")
def export_csv():
    summaries.refresh(engine())
    filters = Filters.from_args(request.args)
    with engine().begin() as connection:
        audit.record(connection, "export_csv", None, filters.as_args())

    def generate():
        with engine().connect() as connection:
            yield from exports.csv_rows(queries.iter_conversations(connection, filters))
    return _download(stream_with_context(generate()), "conversations.csv", "text/csv")


@bp.route("/export/conversations.jsonl")
def export_jsonl():
    summaries.refresh(engine())
    filters = Filters.from_args(request.args)
    with engine().begin() as connection:
        audit.record(connection, "export_jsonl", None, filters.as_args())

    def generate():
        with engine().connect() as connection:
            batch = []
            for conversation in queries.iter_conversations(connection, filters):
                batch.append(conversation)
                if len(batch) == 200:
                    yield from _jsonl_batch(connection, batch)
                    batch = []
            yield from _jsonl_batch(connection, batch)
    return _download(stream_with_context(generate()), "conversations.jsonl", "application/x-ndjson")


def _jsonl_batch(connection, batch):
    messages = queries.conversation_messages(connection, [c["sender_id"] for c in batch])
    for conversation in batch:
        yield exports.jsonl_line(conversation, messages[conversation["sender_id"]])


@bp.route("/export/flagged-nlu.yml")
def export_nlu():
    with engine().begin() as connection:
        rows = connection.execute(select(flags).order_by(flags.c.id)).mappings().all()
        audit.record(connection, "export_nlu", None, {"messages": len(rows)})
    return _download(exports.nlu_yaml(rows), "flagged-nlu.yml", "application/x-yaml")


# --- queues -------------------------------------------------------------------------

@bp.route("/queues/emergencies")
def emergencies():
    summaries.refresh(engine())
    show = request.args.get("show", "open")
    filters = Filters(emergency=True, reviewed="" if show == "all" else "no")
    page, size = page_number(), settings().page_size
    with engine().connect() as connection:
        items, total = queries.list_conversations(connection, filters, page, size)
    return render_template("emergencies.html", items=items, total=total, page=page,
                           pages=max(1, math.ceil(total / size)), show=show)


def _callback_page(reveal: Optional[int] = None):
    status = request.values.get("status", "open")
    status = status if status in ("open", "done", "all") else "open"
    page, size = page_number(), settings().page_size
    query = select(callbacks)
    count = select(func.count()).select_from(callbacks)
    if status != "all":
        query, count = query.where(callbacks.c.status == status), count.where(callbacks.c.status == status)
    order = callbacks.c.created_at.asc() if status == "open" else callbacks.c.created_at.desc()
    with engine().connect() as connection:
        total = connection.execute(count).scalar() or 0
        rows = connection.execute(query.order_by(order, callbacks.c.id).limit(size)
                                  .offset((page - 1) * size)).mappings().all()
    return render_template("callbacks.html", rows=rows, status=status, reveal=reveal, total=total,
                           page=page, pages=max(1, math.ceil(total / size)))


@bp.route("/queues/callbacks")
def callback_queue():
    return _callback_page()


@bp.route("/queues/callbacks/<row_id:callback_id>/phone", methods=["POST"])
def callback_phone(callback_id: int):
    with engine().begin() as connection:
        row = connection.execute(select(callbacks.c.conversation_id).where(
            callbacks.c.id == callback_id)).first()
        if row is None:
            abort(404)
        audit.record(connection, "unmask_phone", row.conversation_id, {"callback": callback_id})
    return _callback_page(reveal=callback_id)


@bp.route("/queues/callbacks/<row_id:callback_id>/status", methods=["POST"])
def callback_status(callback_id: int):
    done = request.form.get("done") == "1"
    with engine().begin() as connection:
        row = connection.execute(select(callbacks.c.conversation_id).where(
            callbacks.c.id == callback_id)).first()
        if row is None:
            abort(404)
        values: Dict[str, Any] = ({"status": "done", "handled_by": g.user["username"], "handled_at": now()}
                                  if done else {"status": "open", "handled_by": None, "handled_at": None})
        note_text = (request.form.get("note") or "").strip()[:2000]
        if note_text:
            values["note"] = note_text
        connection.execute(update(callbacks).where(callbacks.c.id == callback_id).values(**values))
        audit.record(connection, "callback_done" if done else "callback_reopened", row.conversation_id,
                     {"callback": callback_id})
    flash(f"Callback request {callback_id} marked {'done' if done else 'open'}.")
    return redirect(url_for("console.callback_queue", status=request.form.get("status", "open")))


@bp.route("/queues/screenings")
def screening_queue():
    outcome = (request.args.get("outcome") or "")[:32]
    show = request.args.get("show", "open")
    page, size = page_number(), settings().page_size
    query = (select(screenings, reviews.c.reviewed)
             .select_from(screenings.outerjoin(reviews, reviews.c.sender_id == screenings.c.conversation_id)))
    conditions = []
    if outcome:
        conditions.append(screenings.c.outcome == outcome)
    if request.args.get("flagged") == "1":
        conditions.append(screenings.c.flagged_for_care_team == True)  # noqa: E712
    if show != "all":
        conditions.append((reviews.c.reviewed.is_(None)) | (reviews.c.reviewed == False))  # noqa: E712
    with engine().connect() as connection:
        total = connection.execute(select(func.count()).select_from(query.where(*conditions).subquery())).scalar()
        rows = connection.execute(query.where(*conditions).order_by(screenings.c.created_at.desc(),
                                                                   screenings.c.id.desc())
                                  .limit(size).offset((page - 1) * size)).mappings().all()
        outcomes = list(connection.execute(select(screenings.c.outcome).distinct()
                                           .order_by(screenings.c.outcome)).scalars())
    return render_template("screenings.html", rows=rows, outcomes=outcomes, outcome=outcome, show=show,
                           flagged=request.args.get("flagged") == "1", total=total or 0, page=page,
                           pages=max(1, math.ceil((total or 0) / size)))


# --- dashboard ----------------------------------------------------------------------

@bp.route("/dashboard")
def dashboard():
    summaries.refresh(engine())
    errors: list = []
    today = now().date()
    date_to = queries._date(request.args, "date_to", errors) or today
    date_from = queries._date(request.args, "date_from", errors) or (date_to - timedelta(days=29))
    if date_from > date_to or (date_to - date_from).days > 366:
        errors.append("The period must be at most a year, from before to.")
        date_to, date_from = today, today - timedelta(days=29)
    with engine().connect() as connection:
        data = queries_dashboard(connection, date_from, date_to)
    images = {name: charts.chart(name, data[name]) for name in
              ("per_day", "top_answers", "share_per_day", "emergencies_per_day", "outcomes", "backlog")}
    return render_template("dashboard.html", data=data, images=images, errors=errors)


def queries_dashboard(connection, date_from: date, date_to: date):
    return charts.dashboard_data(connection, date_from, date_to)


# --- admin --------------------------------------------------------------------------

@bp.route("/admin/audit")
@auth.admin_required
def audit_view():
    log = audit.audit_log
    page, size = page_number(), 100
    conditions = []
    user = (request.args.get("user") or "").strip()[:80]
    action = (request.args.get("action") or "").strip()[:48]
    target = (request.args.get("target") or "").strip()[:255]
    if user:
        conditions.append(log.c.username == user.lower())
    if action:
        conditions.append(log.c.action == action)
    if target:
        conditions.append(log.c.target == target)
    with engine().connect() as connection:
        total = connection.execute(select(func.count()).select_from(log).where(*conditions)).scalar() or 0
        rows = connection.execute(select(log).where(*conditions).order_by(log.c.id.desc())
                                  .limit(size).offset((page - 1) * size)).mappings().all()
        actions = list(connection.execute(select(log.c.action).distinct().order_by(log.c.action)).scalars())
    return render_template("audit.html", rows=rows, total=total, page=page,
                           pages=max(1, math.ceil(total / size)), user=user, action=action,
                           target=target, actions=actions)


@bp.route("/admin/users", methods=["GET", "POST"])
@auth.admin_required
def users():
    if request.method == "POST":
        try:
            with engine().begin() as connection:
                auth.create_user(connection, request.form.get("username", ""),
                                 request.form.get("password", ""), request.form.get("role", ""))
                audit.record(connection, "user_created", request.form.get("username", "").strip().lower(),
                             {"role": request.form.get("role")})
            flash("Account created.")
        except ValueError as error:
            flash(str(error), "error")
        return redirect(url_for("console.users"))
    with engine().connect() as connection:
        rows = connection.execute(select(auth.users.c.id, auth.users.c.username, auth.users.c.role,
                                         auth.users.c.active, auth.users.c.created_at,
                                         auth.users.c.last_login_at)
                                  .order_by(auth.users.c.username)).mappings().all()
    return render_template("users.html", rows=rows, roles=auth.ROLES)


@bp.route("/admin/users/<row_id:user_id>", methods=["POST"])
@auth.admin_required
def update_user(user_id: int):
    values: Dict[str, Any] = {}
    if request.form.get("role") in auth.ROLES:
        values["role"] = request.form["role"]
    if request.form.get("active") in ("0", "1"):
        values["active"] = request.form["active"] == "1"
    if not values:
        abort(400)
    if user_id == g.user["id"]:
        flash("You cannot change your own account here.", "error")
        return redirect(url_for("console.users"))
    with engine().begin() as connection:
        row = connection.execute(select(auth.users.c.username).where(auth.users.c.id == user_id)).first()
        if row is None:
            abort(404)
        connection.execute(update(auth.users).where(auth.users.c.id == user_id).values(**values))
        audit.record(connection, "user_updated", row.username, values)
    flash("Account updated.")
    return redirect(url_for("console.users"))
