"""The console's check-in pages (bot/console/checkins.py) on SQLite and PostgreSQL:
enrolment with consent and validation errors, the patient page (masked phone,
audited views, pain trend chart), the follow-up queue."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from bot.checkins import store
from bot.db.models import AuditEntry, Checkin, CheckinEnrolment
from bot.db.session import session_scope
from tests.bot.console.helpers import REVIEWER, post

ENROL = {"name": "Ada Patient", "phone": "(201) 555-0123", "channel": "sms", "time_zone": "America/New_York",
         "procedure_date": "2099-12-01", "telegram_chat_id": ""}


def audit_actions(url):
    with session_scope(url) as session:
        return [(a.action, a.target) for a in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]


def test_the_pages_need_a_sign_in(anonymous):
    for path in ("/checkins", "/checkins/enrol", "/queues/follow-up", "/checkins/1"):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], path


def test_enrolment_needs_consent_and_a_valid_phone(reviewer, populated):
    response = post(reviewer, "/checkins/enrol", {**ENROL, "phone": "555"}, page="/checkins/enrol")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter a valid phone number" in page and "consent must be recorded" in page
    assert 'value="Ada Patient"' in page  # what was typed stays
    with session_scope(populated["url"]) as session:
        assert session.execute(select(CheckinEnrolment)).first() is None


def test_enrolment_records_who_took_consent_and_the_patient_page_masks_and_audits(reviewer, populated):
    response = post(reviewer, "/checkins/enrol", {**ENROL, "consent": "yes"}, page="/checkins/enrol")
    assert response.status_code == 302
    with session_scope(populated["url"]) as session:
        enrolment = session.execute(select(CheckinEnrolment)).scalar_one()
        assert (enrolment.consent, enrolment.consent_by, enrolment.phone) == (True, REVIEWER[0], "+12015550123")
        assert [c.day for c in enrolment.checkins] == [1, 3, 7, 14]
        enrolment_id = enrolment.id
    assert response.headers["Location"].endswith(f"/checkins/{enrolment_id}")
    page = reviewer.get(f"/checkins/{enrolment_id}").get_data(as_text=True)
    assert "+12015550123" not in page and "•••-•••-23" in page
    shown = post(reviewer, f"/checkins/{enrolment_id}/unmask", {}, page="/checkins").get_data(as_text=True)
    assert "+12015550123" in shown
    assert audit_actions(populated["url"])[-3:] == [
        ("enrol_checkins", str(enrolment_id)), ("view_checkins", str(enrolment_id)),
        ("unmask_checkins", str(enrolment_id))]
    listing = reviewer.get("/checkins").get_data(as_text=True)
    assert "Ada Patient" in listing and "+12015550123" not in listing


def test_rising_pain_and_no_reply_land_in_the_follow_up_queue(reviewer, populated):
    post(reviewer, "/checkins/enrol", {**ENROL, "consent": "yes"}, page="/checkins/enrol")
    url = populated["url"]
    now = datetime(2099, 12, 2, 15, tzinfo=timezone.utc)
    with session_scope(url) as session:
        ids = {c.day: c.id for c in session.execute(select(Checkin)).scalars()}
    conversation = "twilio:+12015550123"
    for day, pain, warning in ((1, 3, False), (3, 6, True)):
        with session_scope(url) as session:
            session.execute(update(Checkin).where(Checkin.id == ids[day]).values(state="sent", sent_at=now))
        store.record_answer(conversation, now + timedelta(days=day), pain=pain, warning_sign=warning, database_url=url)
    with session_scope(url) as session:
        session.execute(update(Checkin).where(Checkin.id == ids[7])
                        .values(state="missed", sent_at=now, reminded_at=now + timedelta(days=7)))
    queue = reviewer.get("/queues/follow-up").get_data(as_text=True)
    assert "2 to follow up" in queue and "pain rising" in queue and "no reply after a reminder" in queue
    with session_scope(url) as session:
        enrolment_id = session.execute(select(CheckinEnrolment.id)).scalar_one()
    page = reviewer.get(f"/checkins/{enrolment_id}").get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page and 'alt="Pain by check-in: day 1 3, day 3 6"' in page
    assert "rising" in page and "warning sign" in reviewer.get("/checkins").get_data(as_text=True)
