"""Enrolling a patient for check-ins, and stopping them.

An enrolment needs the patient's recorded consent, a phone number that is a real
number (E.164 after reading it, as callback numbers are read), a channel, a time
zone and the procedure date; Telegram also needs the chat id, since a bot cannot
start a chat from a phone number. The patient stops at any time (STOP, /stop):
the enrolment records when and how, and every check-in not yet sent is cancelled
in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Dict, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlalchemy import select, update

from bot.checkins.schedule import due_times
from bot.db.models import Checkin, CheckinEnrolment, utc_now
from bot.db.session import session_scope
from bot.settings import CheckinSettings, get_checkin_settings, get_settings

CHANNELS = {"sms": "SMS", "whatsapp": "WhatsApp", "telegram": "Telegram"}


class EnrolmentError(ValueError):
    """The form's problems, by field name, to show next to the fields."""

    def __init__(self, errors: Dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class EnrolmentForm:
    name: str
    phone: str
    channel: str
    time_zone: str
    procedure_date: str  # YYYY-MM-DD
    consent: bool
    telegram_chat_id: str = ""


def e164(phone: str, region: Optional[str] = None) -> Optional[str]:
    try:
        number = phonenumbers.parse(phone or "", region or get_settings().phone_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def conversation_id(channel: str, phone: str, telegram_chat_id: Optional[str]) -> str:
    """The Rasa conversation the platform's channel names for this patient (channels/namespaces.py)."""
    if channel == "telegram":
        return f"telegram:{telegram_chat_id}"
    if channel == "whatsapp":
        return f"twilio:whatsapp:{phone}"
    return f"twilio:{phone}"


def validate(form: EnrolmentForm) -> Dict[str, object]:
    errors: Dict[str, str] = {}
    name = (form.name or "").strip()
    if not name or len(name) > 120:
        errors["name"] = "Enter the patient's name (at most 120 characters)."
    phone = e164(form.phone)
    if phone is None:
        errors["phone"] = "Enter a valid phone number (with the country code if it is not local)."
    if form.channel not in CHANNELS:
        errors["channel"] = "Choose SMS, WhatsApp or Telegram."
    chat_id = (form.telegram_chat_id or "").strip()
    if form.channel == "telegram" and not (chat_id.lstrip("-").isdigit() and len(chat_id) <= 32):
        errors["telegram_chat_id"] = "Telegram needs the patient's chat id (a number)."
    try:
        ZoneInfo(form.time_zone or "")
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = "Enter a time zone such as America/New_York."
    try:
        procedure = date.fromisoformat(form.procedure_date or "")
    except ValueError:
        procedure = None
        errors["procedure_date"] = "Enter the procedure date (YYYY-MM-DD)."
    if not form.consent:
        errors["consent"] = "The patient's consent must be recorded before enrolling."
    if errors:
        raise EnrolmentError(errors)
    return {"name": name, "phone": phone, "channel": form.channel,
            "telegram_chat_id": chat_id if form.channel == "telegram" else None,
            "time_zone": form.time_zone, "procedure_date": procedure}


def enrol(form: EnrolmentForm, staff: str, database_url: Optional[str] = None,
          settings: Optional[CheckinSettings] = None, now: Optional[datetime] = None) -> int:
    """Stores the enrolment and its check-ins; returns the enrolment id. A day whose
    time has already passed at enrolment is not scheduled (no burst of old check-ins)."""
    settings = settings or get_checkin_settings()
    now = now or utc_now()
    fields = validate(form)
    with session_scope(database_url) as session:
        enrolment = CheckinEnrolment(
            **fields, conversation_id=conversation_id(fields["channel"], fields["phone"],
                                                      fields["telegram_chat_id"]),
            consent=True, consent_at=now, consent_by=staff, enrolled_at=now)
        for day, due_at in due_times(fields["procedure_date"], fields["time_zone"], settings):
            if due_at > now:
                enrolment.checkins.append(Checkin(day=day, due_at=due_at, state="due"))
        session.add(enrolment)
        session.flush()
        return enrolment.id


def active_enrolment(conversation: str, database_url: Optional[str] = None) -> Optional[int]:
    with session_scope(database_url) as session:
        return session.execute(
            select(CheckinEnrolment.id).where(CheckinEnrolment.conversation_id == conversation,
                                              CheckinEnrolment.stopped_at.is_(None))
            .order_by(CheckinEnrolment.id.desc())).scalars().first()


def stop(conversation: str, via: str, database_url: Optional[str] = None,
         now: Optional[datetime] = None) -> int:
    """Stops every active enrolment of this conversation; returns how many. Check-ins
    not sent yet are cancelled at once, so none goes out after STOP."""
    now = now or utc_now()
    with session_scope(database_url) as session:
        ids = session.execute(
            select(CheckinEnrolment.id).where(CheckinEnrolment.conversation_id == conversation,
                                              CheckinEnrolment.stopped_at.is_(None))).scalars().all()
        if not ids:
            return 0
        session.execute(update(CheckinEnrolment).where(CheckinEnrolment.id.in_(ids))
                        .values(stopped_at=now, stopped_via=via[:32]))
        session.execute(update(Checkin).where(Checkin.enrolment_id.in_(ids), Checkin.state == "due")
                        .values(state="cancelled"))
        return len(ids)
