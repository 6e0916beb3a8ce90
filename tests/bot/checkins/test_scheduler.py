"""Check-in storage and scheduling (migration 0008, bot/checkins) on SQLite and
PostgreSQL, with a clock the test sets and a stand-in for Rasa's HTTP API."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select

from bot.checkins import enrolment, store
from bot.checkins.enrolment import EnrolmentError, EnrolmentForm
from bot.checkins.schedule import due_times, in_quiet_hours, next_allowed
from bot.checkins.scheduler import CheckinScheduler
from bot.checkins.sender import RasaTrigger
from bot.db.models import Checkin, CheckinEnrolment
from bot.db.session import get_engine, session_scope
from bot.settings import CheckinSettings
from tests.bot.checkins.support import RasaStandIn, SetClock

UTC = timezone.utc
SETTINGS = CheckinSettings(stuck_after_seconds=300, remind_after_hours=6, missed_after_hours=18)
ENROLLED_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
# 10:00 in New York (UTC-5 in December) on days 1, 3, 7 and 14 after 1 December
DUE = {1: datetime(2026, 12, 2, 15, 0, tzinfo=UTC), 3: datetime(2026, 12, 4, 15, 0, tzinfo=UTC),
       7: datetime(2026, 12, 8, 15, 0, tzinfo=UTC), 14: datetime(2026, 12, 15, 15, 0, tzinfo=UTC)}


def form(**overrides) -> EnrolmentForm:
    fields = dict(name="Ada Patient", phone="(201) 555-0123", channel="sms", time_zone="America/New_York",
                  procedure_date="2026-12-01", consent=True)
    fields.update(overrides)
    return EnrolmentForm(**fields)


def states(database_url):
    with session_scope(database_url) as session:
        return {c.day: c.state for c in session.execute(select(Checkin)).scalars()}


def scheduler(rasa, database_url, clock, worker=None) -> CheckinScheduler:
    return CheckinScheduler(RasaTrigger(rasa.url, rasa.token), database_url, SETTINGS, clock, worker)


@pytest.fixture
def rasa():
    with RasaStandIn() as stand_in:
        yield stand_in


def test_the_migration_makes_both_tables(database_url):
    inspector = inspect(get_engine(database_url))
    assert {"checkin_enrolments", "checkins"} <= set(inspector.get_table_names())
    assert any(set(u["column_names"]) == {"enrolment_id", "day"} for u in inspector.get_unique_constraints("checkins"))


def test_due_times_are_the_send_time_in_the_patients_zone_and_never_in_quiet_hours():
    assert dict(due_times(date(2026, 12, 1), "America/New_York", SETTINGS)) == DUE
    # a send time inside the quiet hours waits for their end, the next morning
    late = CheckinSettings(send_time="22:30", days_raw="1")
    assert due_times(date(2026, 12, 1), "Europe/Berlin", late) == [(1, datetime(2026, 12 ,3, 7, 0, tzinfo=UTC))]
    night = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # 22:00 in New York, 04:00 in Berlin
    assert in_quiet_hours(night, "America/New_York", SETTINGS) and in_quiet_hours(night, "Europe/Berlin", SETTINGS)
    assert not in_quiet_hours(night, "Asia/Tokyo", SETTINGS)  # 12:00 there
    assert next_allowed(night, "America/New_York", SETTINGS) == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    assert next_allowed(night, "Europe/Berlin", SETTINGS) == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    assert next_allowed(night, "Asia/Tokyo", SETTINGS) == night


def test_enrolment_refuses_what_it_cannot_use(database_url):
    with pytest.raises(EnrolmentError) as refused:
        enrolment.enrol(form(name=" ", phone="555", channel="fax", time_zone="Mars/Olympus",
                             procedure_date="1.12.", consent=False), "rita", database_url)
    assert set(refused.value.errors) == {"name", "phone", "channel", "time_zone", "procedure_date", "consent"}
    with pytest.raises(EnrolmentError) as refused:
        enrolment.enrol(form(channel="telegram"), "rita", database_url)
    assert set(refused.value.errors) == {"telegram_chat_id"}
    with session_scope(database_url) as session:
        assert session.execute(select(CheckinEnrolment)).first() is None


def test_enrolment_stores_consent_e164_and_the_days_still_ahead(database_url):
    enrolment_id = enrolment.enrol(form(), "rita", database_url, SETTINGS, now=ENROLLED_AT)
    whatsapp = enrolment.enrol(form(channel="whatsapp", phone="+44 20 7946 0958"), "rita", database_url, SETTINGS,
                               now=DUE[3] + timedelta(hours=1))
    telegram = enrolment.enrol(form(channel="telegram", telegram_chat_id="4711"), "rita", database_url, SETTINGS,
                               now=ENROLLED_AT)
    with session_scope(database_url) as session:
        sms = session.get(CheckinEnrolment, enrolment_id)
        assert (sms.phone, sms.conversation_id, sms.consent, sms.consent_by) == (
            "+12015550123", "twilio:+12015550123", True, "rita")
        assert {c.day: c.due_at.replace(tzinfo=UTC) for c in sms.checkins} == DUE
        assert session.get(CheckinEnrolment, whatsapp).conversation_id == "twilio:whatsapp:+442079460958"
        # enrolled after day 3's time: only days 7 and 14 are still to come
        assert [c.day for c in session.get(CheckinEnrolment, whatsapp).checkins] == [7, 14]
        assert session.get(CheckinEnrolment, telegram).conversation_id == "telegram:4711"


def test_each_day_is_sent_once_when_due_through_the_patients_channel(database_url, rasa):
    enrolment.enrol(form(), "rita", database_url, SETTINGS, now=ENROLLED_AT)
    enrolment.enrol(form(channel="telegram", telegram_chat_id="4711"), "rita", database_url, SETTINGS,
                    now=ENROLLED_AT)
    clock = SetClock(DUE[1] - timedelta(minutes=1))
    checkins = scheduler(rasa, database_url, clock)
    assert checkins.run_once() == 0 and rasa.triggered() == []
    clock.set(DUE[1])
    assert checkins.run_once() == 2
    assert checkins.run_once() == 0  # sent stays sent
    sent = {t["conversation"]: t for t in rasa.triggered()}
    assert set(sent) == {"twilio:+12015550123", "telegram:4711"}
    assert sent["twilio:+12015550123"]["output_channel"] == "twilio"
    assert sent["telegram:4711"]["output_channel"] == "telegram"
    assert sent["twilio:+12015550123"]["name"] == "EXTERNAL_checkin"
    assert sent["twilio:+12015550123"]["entities"]["checkin_day"] == "1"
    for day in (3, 7, 14):
        clock.set(DUE[day])
        assert checkins.run_once() == 2
    firsts = [t for t in rasa.triggered() if "checkin_reminder" not in t["entities"]]
    assert len(firsts) == 8
    # the days left unanswered got one reminder each on the way (day 14 not yet)
    assert len(rasa.triggered()) - len(firsts) == 6
    assert states(database_url) == {1: "missed", 3: "missed", 7: "sent", 14: "sent"}  # 7 reminded just now


def test_a_restart_between_due_time_and_send_sends_it_once(database_url, rasa):
    enrolment.enrol(form(), "rita", database_url, SETTINGS, now=ENROLLED_AT)
    clock = SetClock(DUE[1] + timedelta(hours=2))  # the scheduler was down at the due time
    assert scheduler(rasa, database_url, clock, "after-restart").run_once() == 1
    assert scheduler(rasa, database_url, clock, "after-second-restart").run_once() == 0
    assert len(rasa.triggered()) == 1 and states(database_url)[1] == "sent"


def test_a_scheduler_that_died_mid_send_is_taken_over_once(database_url, rasa):
    enrolment.enrol(form(), "rita", database_url, SETTINGS, now=ENROLLED_AT)
    clock = SetClock(DUE[1])
    with session_scope(database_url) as session:
        day1, day3 = [c.id for c in session.execute(select(Checkin).order_by(Checkin.day)).scalars()][:2]
    # the first scheduler claimed day 1 and died before sending it
    assert store.claim(day1, "died", clock())
    survivor = scheduler(rasa, database_url, clock, "survivor")
    assert survivor.run_once() == 0  # not yet: the claimant may still be sending
    clock.advance(seconds=SETTINGS.stuck_after_seconds)
    assert survivor.run_once() == 1 and rasa.count(day1) == 1
    assert survivor.run_once() == 0 and rasa.count(day1) == 1
    # on day 3 it died after Rasa took the check-in, before recording it: not sent again
    clock.set(DUE[3])
    assert store.claim(day3, "died", clock())
    RasaTrigger(rasa.url, rasa.token).send("twilio:+12015550123", "twilio", day3, 3)
    clock.advance(seconds=SETTINGS.stuck_after_seconds)
    assert survivor.run_once() == 0
    assert rasa.count(day3) == 1 and states(database_url)[3] == "sent"


def test_rasa_unreachable_leaves_the_check_in_due(database_url):
    enrolment.enrol(form(), "rita", database_url, SETTINGS, now=ENROLLED_AT)
    with RasaStandIn() as rasa:
        url = rasa.url
    clock = SetClock(DUE[1])
    down = CheckinScheduler(RasaTrigger(url, "test-token", timeout=5), database_url, SETTINGS, clock)
    assert down.run_once() == 0 and states(database_url)[1] == "due"


def test_quiet_hours_postpone_to_the_patients_morning(database_url, rasa):
    enrolment.enrol(form(), "rita", database_url, SETTINGS, now=ENROLLED_AT)
    night = datetime(2026, 12, 3, 3, 30, tzinfo=UTC)  # 22:30 in New York: day 1 is overdue, but it is night
    clock = SetClock(night)
    checkins = scheduler(rasa, database_url, clock)
    assert checkins.run_once() == 0 and rasa.triggered() == []
    with session_scope(database_url) as session:
        day1 = session.execute(select(Checkin).where(Checkin.day == 1)).scalar_one()
        assert day1.due_at.replace(tzinfo=UTC) == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)  # 08:00 there
    clock.set(datetime(2026, 12, 3, 12, 59, tzinfo=UTC))
    assert checkins.run_once() == 0
    clock.set(datetime(2026, 12, 3, 13, 0, tzinfo=UTC))
    assert checkins.run_once() == 1


def test_stop_cancels_every_check_in_not_yet_sent(database_url, rasa):
    enrolment.enrol(form(), "rita", database_url, SETTINGS, now=ENROLLED_AT)
    clock = SetClock(DUE[1])
    checkins = scheduler(rasa, database_url, clock)
    assert checkins.run_once() == 1
    assert enrolment.stop("twilio:+12015550123", "sms STOP", database_url, now=DUE[1] + timedelta(hours=1)) == 1
    assert enrolment.stop("twilio:+12015550123", "sms STOP", database_url) == 0  # already stopped
    assert enrolment.active_enrolment("twilio:+12015550123", database_url) is None
    for day in (3, 7, 14):
        clock.set(DUE[day])
        assert checkins.run_once() == 0
    assert states(database_url) == {1: "sent", 3: "cancelled", 7: "cancelled", 14: "cancelled"}
    with session_scope(database_url) as session:
        stopped = session.execute(select(CheckinEnrolment)).scalar_one()
        assert stopped.stopped_via == "sms STOP" and stopped.stopped_at is not None
    assert len(rasa.triggered()) == 1


def test_one_reminder_then_missed_and_an_answer_is_recorded(database_url, rasa):
    enrolment.enrol(form(), "rita", database_url, SETTINGS, now=ENROLLED_AT)
    clock = SetClock(DUE[1])
    checkins = scheduler(rasa, database_url, clock)
    checkins.run_once()
    day1 = rasa.triggered()[0]["entities"]["checkin_id"]
    clock.advance(hours=6)
    checkins.run_once()
    checkins.run_once()
    assert rasa.count(int(day1), reminder=True) == 1
    clock.advance(hours=18)
    checkins.run_once()
    assert states(database_url)[1] == "missed"
    # day 3 is answered: pain, then the warning-sign question
    clock.set(DUE[3])
    checkins.run_once()
    assert store.record_answer("twilio:+12015550123", clock(), pain=4, database_url=database_url)
    assert store.record_answer("twilio:+12015550123", clock(), warning_sign=False, database_url=database_url)
    assert store.record_answer("twilio:+19999999999", clock(), pain=1, database_url=database_url) is None
    with session_scope(database_url) as session:
        day3 = session.execute(select(Checkin).where(Checkin.day == 3)).scalar_one()
        assert (day3.state, day3.pain, day3.warning_sign) == ("answered", 4, False)
    clock.advance(hours=30)
    checkins.run_once()
    assert states(database_url)[3] == "answered"  # an answered check-in gets no reminder


def test_two_schedulers_at_once_send_each_check_in_once(database_url):
    """Two schedulers in threads of their own, each with its own connections, poll the
    same due rows at the same moment, again and again; Rasa holds each trigger open."""
    for n in range(15):
        enrolment.enrol(form(phone=f"+1201555{n:04d}"), "rita", database_url, SETTINGS, now=ENROLLED_AT)
    clock = SetClock(DUE[1])
    with RasaStandIn(delay=0.02) as rasa:
        first, second = scheduler(rasa, database_url, clock, "one"), scheduler(rasa, database_url, clock, "two")
        start = threading.Barrier(2)
        sent = {"one": 0, "two": 0}

        def poll(checkins: CheckinScheduler) -> None:
            for _ in range(3):
                start.wait()
                sent[checkins.worker] += checkins.run_once()

        threads = [threading.Thread(target=poll, args=(s,)) for s in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        triggers = rasa.triggered()
    ids = [t["entities"]["checkin_id"] for t in triggers]
    assert len(ids) == 15 and len(set(ids)) == 15
    assert sent["one"] + sent["two"] == 15
    with session_scope(database_url) as session:
        claimants = {c.claimed_by for c in session.execute(select(Checkin).where(Checkin.day == 1)).scalars()}
    assert set(states(database_url).values()) == {"sent", "due"}
    assert claimants <= {"one", "two"}


def test_apscheduler_runs_the_pass(database_url, rasa):
    """The job as the run command adds it, on a real APScheduler: it sends what is due."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.checkins.scheduler import add_job

    enrolment.enrol(form(), "rita", database_url, SETTINGS, now=ENROLLED_AT)
    passes = threading.Event()
    checkins = scheduler(rasa, database_url, SetClock(DUE[1]))
    run_once = checkins.run_once
    checkins.run_once = lambda: (run_once(), passes.set())[0]  # type: ignore[method-assign]
    background = add_job(checkins, BackgroundScheduler(timezone="UTC"))
    background.start()
    try:
        assert passes.wait(60)
    finally:
        background.shutdown(wait=True)
    assert len(rasa.triggered()) == 1 and states(database_url)[1] == "sent"
