"""The check-in scheduler: APScheduler runs `CheckinScheduler.run_once` every
`CHECKIN_POLL_SECONDS`; everything it needs to remember is in the database.

Why polling rows rather than one APScheduler job per check-in: the rows are the
schedule, so a restart neither loses one (a due row is still due) nor repeats one
(a sent row is no longer due), and any number of schedulers can run, each claim
being a single conditional UPDATE (store.py) that only one of them wins.

A row left 'sending' (its scheduler died between claiming and recording the
send) is taken over after `CHECKIN_STUCK_AFTER_SECONDS`: the new claimant asks
Rasa's tracker whether that check-in's trigger arrived and marks it sent if so,
sends it if not. So it goes out once unless the process died in the instant
after Rasa sent the message and before the tracker stored it, where Rasa itself
keeps no record either.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta
from typing import Callable, Optional

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.checkins import store
from bot.checkins.schedule import in_quiet_hours, next_allowed
from bot.checkins.sender import RasaTrigger, RasaUnreachable
from bot.db.models import utc_now
from bot.settings import CheckinSettings, get_checkin_settings, get_settings

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class CheckinScheduler:
    def __init__(self, sender: RasaTrigger, database_url: Optional[str] = None,
                 settings: Optional[CheckinSettings] = None, clock: Clock = utc_now,
                 worker: Optional[str] = None) -> None:
        self.sender = sender
        self.database_url = database_url
        self.settings = settings or get_checkin_settings()
        self.clock = clock
        self.worker = (worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")[:64]
        self._running = threading.Lock()  # one pass at a time in this process

    def output_channel(self, channel: str) -> str:
        return self.settings.telegram_channel if channel == "telegram" else self.settings.twilio_channel

    def run_once(self) -> int:
        """One pass: sends what is due (outside quiet hours), reminds, marks missed.
        Returns how many check-ins this pass sent."""
        if not self._running.acquire(blocking=False):
            return 0
        try:
            return self._pass()
        finally:
            self._running.release()

    def _pass(self) -> int:
        now = self.clock()
        settings = self.settings
        sent = 0
        for row in store.candidates(now, timedelta(seconds=settings.stuck_after_seconds),
                                    database_url=self.database_url):
            if row.state == "due":
                if in_quiet_hours(now, row.time_zone, settings):
                    store.postpone(row.id, next_allowed(now, row.time_zone, settings),
                                   database_url=self.database_url)
                    continue
                if not store.claim(row.id, self.worker, now, self.database_url):
                    continue  # another scheduler has it
            else:  # stuck in 'sending'
                if not store.reclaim_stuck(row.id, row.claimed_at, self.worker, now, self.database_url):
                    continue
                try:
                    if self.sender.delivered(row.conversation_id, row.id):
                        store.mark_sent(row.id, self.worker, now, self.database_url)
                        continue
                except Exception:  # noqa: BLE001 - Rasa not answering: look again next time
                    logger.warning("check-in %s: could not read the conversation; retrying later", row.id)
                    continue
                if in_quiet_hours(now, row.time_zone, settings):
                    store.postpone(row.id, next_allowed(now, row.time_zone, settings), self.worker,
                                   self.database_url)
                    continue
            sent += self._deliver(row, now)
        self._remind(now)
        store.mark_missed(now, timedelta(hours=settings.missed_after_hours), self.database_url)
        return sent

    def _deliver(self, row: store.Candidate, now: datetime) -> int:
        try:
            self.sender.send(row.conversation_id, self.output_channel(row.channel), row.id, row.day)
        except RasaUnreachable:
            logger.warning("check-in %s: Rasa not reachable; due again", row.id)
            store.release(row.id, self.worker, self.database_url)
            return 0
        except Exception as error:  # noqa: BLE001 - outcome unknown: the stuck-row check decides
            logger.warning("check-in %s: send outcome unknown (%s); checked again later",
                           row.id, type(error).__name__)
            return 0
        store.mark_sent(row.id, self.worker, now, self.database_url)
        logger.info("check-in %s (day %s) sent", row.id, row.day)
        return 1

    def _remind(self, now: datetime) -> None:
        for row in store.reminders_due(now, timedelta(hours=self.settings.remind_after_hours),
                                       self.database_url):
            if in_quiet_hours(now, row.time_zone, self.settings):
                continue  # the next pass after the quiet hours reminds
            if not store.claim_reminder(row.id, now, self.database_url):
                continue
            try:
                self.sender.send(row.conversation_id, self.output_channel(row.channel), row.id, row.day,
                                 reminder=True)
            except Exception as error:  # noqa: BLE001 - a reminder is at most once, never twice
                logger.warning("check-in %s: reminder not sent (%s)", row.id, type(error).__name__)


def add_job(checkins: CheckinScheduler, scheduler: BaseScheduler) -> BaseScheduler:
    """The pass as an APScheduler interval job: at once, then every poll interval; never
    two at a time, and runs missed while busy collapse into one."""
    scheduler.add_job(checkins.run_once, "interval", seconds=checkins.settings.poll_seconds,
                      max_instances=1, coalesce=True, next_run_time=utc_now(), id="checkins")
    return scheduler


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    if not settings.rasa_token:
        raise SystemExit("RASA_TOKEN must be set: check-ins are sent through Rasa's HTTP API")
    checkins = CheckinScheduler(RasaTrigger(settings.rasa_url, settings.rasa_token))
    scheduler = add_job(checkins, BlockingScheduler(timezone="UTC"))
    logger.info("check-in scheduler %s polling every %s s", checkins.worker, checkins.settings.poll_seconds)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
