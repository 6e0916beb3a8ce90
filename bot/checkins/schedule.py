"""When check-ins are due: the configured days after the procedure, at the send
time in the patient's time zone, never in quiet hours. Pure functions of the
clock, so tests set the time."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import List, Tuple
from zoneinfo import ZoneInfo

from bot.settings import CheckinSettings


def clock_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(moment: datetime, zone: str, settings: CheckinSettings) -> bool:
    """True when `moment` (aware) falls in the patient's quiet hours, which may span midnight."""
    local = moment.astimezone(ZoneInfo(zone)).time()
    start, end = clock_time(settings.quiet_start), clock_time(settings.quiet_end)
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def next_allowed(moment: datetime, zone: str, settings: CheckinSettings) -> datetime:
    """`moment` itself, or the end of the quiet hours it falls in (in UTC)."""
    if not in_quiet_hours(moment, zone, settings):
        return moment.astimezone(timezone.utc)
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    end = clock_time(settings.quiet_end)
    morning = datetime.combine(local.date(), end, tzinfo=tz)
    if morning <= local:
        morning = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=tz)
    return morning.astimezone(timezone.utc)


def due_times(procedure_date: date, zone: str, settings: CheckinSettings) -> List[Tuple[int, datetime]]:
    """(day, due_at in UTC) for every configured day after the procedure."""
    tz = ZoneInfo(zone)
    send = clock_time(settings.send_time)
    return [(day, next_allowed(datetime.combine(procedure_date + timedelta(days=day), send, tzinfo=tz),
                               zone, settings))
            for day in settings.days]
