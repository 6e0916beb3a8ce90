"""Check-ins end to end: the scheduler (with a clock the test sets) triggers each
day's check-in on the real Rasa server, the message reaches the Twilio and
Telegram stand-ins, and the patient's replies (signed webhooks) continue it: a
normal answer, a warning sign (the emergency reply first, recorded), STOP, a
restart between due time and send, and two schedulers at once."""
from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.checkins import enrolment
from bot.checkins.scheduler import CheckinScheduler
from bot.checkins.sender import RasaTrigger
from bot.db.models import Checkin, CheckinEnrolment
from bot.db.session import session_scope
from tests.bot.checkins.support import SetClock
from tests.bot.checkins.test_scheduler import DUE, ENROLLED_AT, SETTINGS, form
from tests.channels import payloads
from tests.channels.stack import Stack
from tests.channels.test_platforms import bot_actions, sign, twilio_post, twilio_sent

pytestmark = pytest.mark.server


def database(stack: Stack) -> str:
    return stack.env["DATABASE_URL"]


def scheduler(stack: Stack, clock: SetClock, worker: str) -> CheckinScheduler:
    return CheckinScheduler(RasaTrigger(stack.rasa_url, stack.rasa_token), database(stack), SETTINGS, clock, worker)


def reply(stack: Stack, sender: str, text: str) -> None:
    form_ = payloads.twilio_sms(stack.env["TWILIO_ACCOUNT_SID"], sender, "+15005550006", text,
                                sid=payloads.new_sid())
    assert twilio_post(stack, form_, sign(stack, form_)).status_code == 204


def replies_to_last_message(stack: Stack, conversation: str) -> list:
    events = stack.tracker(conversation)["events"]
    last_user = max(i for i, e in enumerate(events) if e["event"] == "user")
    return [e.get("metadata", {}).get("utter_action") for e in events[last_user:] if e["event"] == "bot"]


def checkins(stack: Stack, phone: str):
    with session_scope(database(stack)) as session:
        rows = session.execute(select(Checkin).join(CheckinEnrolment).where(CheckinEnrolment.phone == phone)
                               .order_by(Checkin.day)).scalars().all()
        return {c.day: (c.state, c.pain, c.warning_sign) for c in rows}


def test_sms_check_ins_answered_a_warning_sign_and_stop(stack):
    sender = f"+1201{random.randint(200, 999)}{random.randint(0, 9999):04d}"  # a valid NANP number
    enrolment.enrol(form(phone=sender), "rita", database(stack), SETTINGS, now=ENROLLED_AT)
    clock = SetClock(DUE[1] - timedelta(minutes=5))
    first = scheduler(stack, clock, "first")
    assert first.run_once() == 0 and not twilio_sent(stack, sender, timeout=1)

    # day 1: the check-in reaches the patient's phone; a pain score and a "no" answer it
    clock.set(DUE[1])
    assert first.run_once() == 1
    sent = twilio_sent(stack, sender, 2)
    assert "check-in after kyphoplasty" in sent[0].params["Body"]
    assert "from 0 (no pain) to 10" in sent[1].params["Body"]
    assert sent[1].params["From"] == "+15005550006"
    reply(stack, sender, "4")
    assert "Please reply yes or no" in twilio_sent(stack, sender, 3)[2].params["Body"]
    reply(stack, sender, "no")
    assert "Your care team will see your answers" in twilio_sent(stack, sender, 4)[3].params["Body"]
    assert checkins(stack, sender)[1] == ("answered", 4, False)

    # day 3: the scheduler was restarted after the due time: a new one sends it, once
    clock.set(DUE[3] + timedelta(hours=1))
    assert scheduler(stack, clock, "restarted").run_once() == 1
    assert scheduler(stack, clock, "restarted-again").run_once() == 0
    twilio_sent(stack, sender, 6)
    reply(stack, sender, "7")
    twilio_sent(stack, sender, 7)
    reply(stack, sender, "yes")
    after_yes = twilio_sent(stack, sender, 8)[7].params["Body"]
    assert after_yes.startswith("This could be an emergency. Call 911")  # the emergency reply, first
    assert replies_to_last_message(stack, f"twilio:{sender}") == ["utter_emergency"]
    assert checkins(stack, sender)[3] == ("answered", 7, True)

    # day 7, two schedulers at the same moment: the patient gets it once
    clock.set(DUE[7])
    pair, start = [scheduler(stack, clock, "a"), scheduler(stack, clock, "b")], threading.Barrier(2)
    results = []

    def run(one: CheckinScheduler) -> None:
        start.wait()
        results.append(one.run_once())

    threads = [threading.Thread(target=run, args=(one,)) for one in pair]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    assert len(twilio_sent(stack, sender, 10)) == 10
    assert len(twilio_sent(stack, sender, 11, timeout=2)) == 10  # no second copy arrived

    # STOP: honoured at once, confirmed once, nothing more is sent
    reply(stack, sender, "STOP")
    confirmation = twilio_sent(stack, sender, 11)[10].params["Body"]
    assert confirmation.startswith("You will get no more check-in messages")
    clock.set(DUE[14])
    assert first.run_once() == 0
    assert len(twilio_sent(stack, sender, 12, timeout=2)) == 11
    assert checkins(stack, sender)[14][0] == "cancelled"
    with session_scope(database(stack)) as session:
        stopped = session.execute(select(CheckinEnrolment).where(CheckinEnrolment.phone == sender)).scalar_one()
        assert stopped.stopped_via == "twilio stop"


def test_telegram_check_in_reaches_the_chat(stack):
    chat = random.randint(10**8, 10**9)
    enrolment.enrol(form(channel="telegram", telegram_chat_id=str(chat)), "rita", database(stack), SETTINGS,
                    now=ENROLLED_AT)
    assert scheduler(stack, SetClock(DUE[1]), "tg").run_once() == 1
    sent = stack.standin.wait_for(lambda c: c["platform"] == "telegram" and c["method"] == "sendmessage"
                                  and c.params.get("chat_id") == str(chat), 2)
    assert "from 0 (no pain) to 10" in sent[1].params["text"]
    assert "utter_ask_checkin_pain" in bot_actions(stack, f"telegram:{chat}")
