"""The console's check-in pages: enrolment (with the patient's consent), one page
per enrolled patient (check-ins sent and answered, the pain trend, warning signs)
and the follow-up queue (pain rising between check-ins, no reply after the
reminder).

Its own blueprint, over the check-in tables only. As for conversations, phone
numbers are masked and showing one is audited; every patient page view and
every enrolment is written to the audit log in the same transaction.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.checkins.enrolment import CHANNELS, EnrolmentError, EnrolmentForm, enrol
from bot.console import audit
from bot.console.auth import login_required
from bot.console.charts import chart
from bot.db.models import Checkin, CheckinEnrolment
from bot.settings import get_checkin_settings

bp = Blueprint("checkins", __name__)


def _engine():
    return current_app.config["ENGINE"]


def rising_pain(checkins: List[Any]) -> List[Any]:
    """Answered check-ins whose pain is higher than at the answered check-in before."""
    rising, previous = [], None
    for checkin in sorted(checkins, key=lambda c: c.day):
        if checkin.pain is None:
            continue
        if previous is not None and checkin.pain > previous:
            rising.append(checkin)
        previous = checkin.pain
    return rising


def _enrolments(connection) -> List[Dict[str, Any]]:
    enrolments = connection.execute(select(CheckinEnrolment.__table__).order_by(CheckinEnrolment.id.desc())
                                    ).mappings().all()
    rows = connection.execute(select(Checkin.__table__).order_by(Checkin.day)).mappings().all()
    by_enrolment: Dict[int, List[Any]] = {}
    for row in rows:
        by_enrolment.setdefault(row["enrolment_id"], []).append(row)
    return [{"e": e, "checkins": by_enrolment.get(e["id"], [])} for e in enrolments]


class _Row(dict):
    __getattr__ = dict.get


@bp.route("/checkins")
@login_required
def patients():
    with _engine().connect() as connection:
        items = _enrolments(connection)
    for item in items:
        checkins = [_Row(c) for c in item["checkins"]]
        item["sent"] = sum(1 for c in checkins if c.sent_at)
        item["answered"] = sum(1 for c in checkins if c.state == "answered")
        item["warning"] = any(c.warning_sign for c in checkins)
    return render_template("checkins.html", items=items, channels=CHANNELS)


@bp.route("/checkins/enrol", methods=["GET", "POST"])
@login_required
def enrol_patient():
    values: Dict[str, Any] = {"time_zone": get_checkin_settings().default_time_zone, "channel": "sms"}
    errors: Dict[str, str] = {}
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip() for key in
                  ("name", "phone", "channel", "time_zone", "procedure_date", "telegram_chat_id")}
        form = EnrolmentForm(consent=request.form.get("consent") == "yes", **values)
        try:
            enrolment_id = enrol(form, g.user["username"], current_app.config["DATABASE_URL"])
        except EnrolmentError as error:
            errors = error.errors
        else:
            with _engine().begin() as connection:
                audit.record(connection, "enrol_checkins", str(enrolment_id), {"channel": form.channel})
            return redirect(url_for("checkins.patient", enrolment_id=enrolment_id))
    return render_template("checkin_enrol.html", values=values, errors=errors, channels=CHANNELS,
                           days=get_checkin_settings().days), (400 if errors else 200)


def _patient(enrolment_id: int, unmasked: bool):
    with _engine().begin() as connection:
        enrolment = connection.execute(select(CheckinEnrolment.__table__)
                                       .where(CheckinEnrolment.id == enrolment_id)).mappings().first()
        if enrolment is None:
            abort(404)
        audit.record(connection, "unmask_checkins" if unmasked else "view_checkins", str(enrolment_id))
        checkins = [_Row(c) for c in connection.execute(
            select(Checkin.__table__).where(Checkin.enrolment_id == enrolment_id).order_by(Checkin.day)
        ).mappings()]
    trend = [(f"day {c.day}", c.pain) for c in checkins if c.pain is not None]
    return render_template("checkin_patient.html", e=enrolment, checkins=checkins, unmasked=unmasked,
                           trend=chart("pain_trend", trend) if trend else None, trend_data=trend,
                           rising={c.id for c in rising_pain(checkins)}, channels=CHANNELS)


@bp.route("/checkins/<row_id:enrolment_id>")
@login_required
def patient(enrolment_id: int):
    return _patient(enrolment_id, unmasked=False)


@bp.route("/checkins/<row_id:enrolment_id>/unmask", methods=["POST"])
@login_required
def unmask_patient(enrolment_id: int):
    return _patient(enrolment_id, unmasked=True)


@bp.route("/queues/follow-up")
@login_required
def follow_up():
    with _engine().connect() as connection:
        items = _enrolments(connection)
    queue: List[Dict[str, Any]] = []
    for item in items:
        checkins = [_Row(c) for c in item["checkins"]]
        for checkin in rising_pain(checkins):
            queue.append({"e": item["e"], "checkin": checkin, "reason": "pain rising",
                          "at": checkin.answered_at})
        for checkin in checkins:
            if checkin.state == "missed":
                queue.append({"e": item["e"], "checkin": checkin, "reason": "no reply after a reminder",
                              "at": checkin.reminded_at})
    queue.sort(key=lambda q: str(q["at"] or ""), reverse=True)
    return render_template("checkin_follow_up.html", queue=queue)
