"""All configuration, read from the environment in one place.

Defaults are the embedded set-up (SQLite under var/, no external server); the
production set-up sets the variables (see README, "Configuration"). Three groups:
the assistant (`Settings`), the web widget (`WidgetSettings`, which Rasa's socket
channel reads too, so both agree on origins, limits and token lifetime) and the
staff console (`ConsoleSettings`).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import List

from pydantic import BaseSettings, Field, validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


class Settings(BaseSettings):
    # The project's own tables (screenings, callbacks, staff); Rasa's tracker store
    # is configured in endpoints.yml and by default lives in the same SQLite file.
    database_url: str = Field(f"sqlite:///{VAR_DIR / 'assistant.db'}", env="DATABASE_URL")

    # How patients reach a person. Unset, the reply uses the same wording as the
    # domain's initial slot values, which is true for any clinic.
    care_team_phone: str = Field("the phone number on your appointment papers", env="CARE_TEAM_PHONE")
    care_team_hours: str = Field("during office hours", env="CARE_TEAM_HOURS")
    # The numbers an emergency reply offers to call (a tap-to-call link in the widget):
    # the practice's country's emergency number and, for a crisis, its crisis line.
    # The reply texts in domain/core.yml name 911 and 988; a practice elsewhere changes both.
    emergency_number: str = Field("911", env="EMERGENCY_NUMBER")
    crisis_line: str = Field("988", env="CRISIS_LINE")
    # The title patients see over a catalogue answer's source passage ("Where this
    # comes from"): the document every answer is derived from, as the practice names it.
    source_title: str = Field("Kyphoplasty: patient information", env="SOURCE_TITLE")

    # Region for reading phone numbers written without a country code.
    phone_region: str = Field("US", env="PHONE_REGION")

    # How long Rasa's tracker store keeps retrying a locked database or a lost
    # connection before the turn fails with an error the client retries.
    tracker_store_retry_seconds: float = Field(10.0, env="TRACKER_STORE_RETRY_SECONDS")
    # A long conversation is given to the dialogue policies as its state plus its
    # last N turns, so a turn costs the same at turn 300 as at turn 10 (0: whole session).
    tracker_window_turns: int = Field(8, env="TRACKER_WINDOW_TURNS")

    rasa_url: str = Field("http://localhost:5005", env="RASA_URL")
    rasa_token: str = Field("", env="RASA_TOKEN")

    class Config:
        case_sensitive = False

    @validator("emergency_number", "crisis_line")
    def _dialable(cls, value: str) -> str:  # noqa: N805 - pydantic's signature
        """A number a phone can dial from a tel: link, refused at start-up otherwise, not in an emergency."""
        value = value.strip()
        if not re.fullmatch(r"\+?[0-9][0-9 ().-]{0,30}", value):
            raise ValueError("must be a phone number: digits, a leading + and spaces, dots, dashes, brackets")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


class WidgetSettings(BaseSettings):
    host: str = Field("127.0.0.1", env="WIDGET_HOST")
    port: int = Field(8080, env="WIDGET_PORT")
    # Where browsers reach Rasa's socket.io channel (the public URL, not an internal one).
    socket_url: str = Field("http://localhost:5005", env="WIDGET_SOCKET_URL")
    # Pages allowed to open a chat (CORS for POST /session and the socket.io server).
    # Comma separated; empty means this widget server's own address only. Never "*".
    allowed_origins_raw: str = Field("", env="WIDGET_ALLOWED_ORIGINS")
    token_ttl_seconds: int = Field(24 * 3600, env="WIDGET_TOKEN_TTL")
    max_message_chars: int = Field(1000, env="WIDGET_MAX_MESSAGE_CHARS")
    practice_name: str = Field("Riverside Spine Care", env="WIDGET_PRACTICE_NAME")
    # Abuse limits: session tokens an address may get an hour; messages a chat may
    # send in a burst and then a minute (a person types far slower), and all chats
    # of one address a minute; a client that sends nothing for this long is dropped.
    tokens_per_address_hour: int = Field(30, env="WIDGET_TOKENS_PER_HOUR")
    messages_burst: int = Field(8, env="WIDGET_MESSAGES_BURST")
    messages_per_minute: int = Field(30, env="WIDGET_MESSAGES_PER_MINUTE")
    address_messages_per_minute: int = Field(120, env="WIDGET_ADDRESS_MESSAGES_PER_MINUTE")
    read_timeout_seconds: float = Field(10.0, env="WIDGET_READ_TIMEOUT")

    class Config:
        case_sensitive = False

    @property
    def allowed_origins(self) -> List[str]:
        origins = [o.strip().rstrip("/") for o in self.allowed_origins_raw.split(",") if o.strip()]
        if not origins:
            origins = [f"http://localhost:{self.port}", f"http://127.0.0.1:{self.port}"]
        if "*" in origins:
            raise ValueError("WIDGET_ALLOWED_ORIGINS must list origins, not '*'")
        return origins


@lru_cache(maxsize=1)
def get_widget_settings() -> WidgetSettings:
    return WidgetSettings()


class ConsoleSettings(BaseSettings):
    host: str = Field("127.0.0.1", env="CONSOLE_HOST")
    port: int = Field(5080, env="CONSOLE_PORT")
    # Flask's signing key. Unset: a random key generated once into var/console_secret.
    secret_key: str = Field("", env="CONSOLE_SECRET_KEY")
    secret_file: Path = Field(VAR_DIR / "console_secret", env="CONSOLE_SECRET_FILE")
    session_hours: float = Field(8.0, env="CONSOLE_SESSION_HOURS")
    # Set to true when the console is served over HTTPS (production, behind TLS).
    secure_cookies: bool = Field(False, env="CONSOLE_SECURE_COOKIES")
    retention_days: int = Field(365, env="CONSOLE_RETENTION_DAYS")
    page_size: int = Field(50, env="CONSOLE_PAGE_SIZE")
    # Sign-in rate limit: this many failures within the window blocks further tries.
    max_failed_logins: int = Field(5, env="CONSOLE_MAX_FAILED_LOGINS")
    max_failed_logins_per_address: int = Field(20, env="CONSOLE_MAX_FAILED_LOGINS_PER_ADDRESS")
    login_window_minutes: int = Field(15, env="CONSOLE_LOGIN_WINDOW_MINUTES")
    # A user message below this confidence is highlighted in transcripts.
    low_confidence: float = Field(0.6, env="CONSOLE_LOW_CONFIDENCE")
    # Content-gap queue: the sentence encoder the assistant uses (built by scripts/setup.sh),
    # and the cosine similarity to a group's centroid at which a question joins it
    # (chosen on generated questions with a known grouping: docs/design.md).
    encoder_dir: Path = Field(VAR_DIR / "models" / "all-MiniLM-L6-v2", env="CONSOLE_ENCODER_DIR")
    gap_similarity: float = Field(0.65, env="CONSOLE_GAP_SIMILARITY")
    # At most this many new questions are encoded per page load (the rest on the next
    # load, or all at once with `python -m bot.console.gap_queue`).
    gap_batch: int = Field(1000, env="CONSOLE_GAP_BATCH")

    class Config:
        case_sensitive = False


@lru_cache(maxsize=1)
def get_console_settings() -> ConsoleSettings:
    return ConsoleSettings()


class CheckinSettings(BaseSettings):
    """Post-procedure check-ins (bot/checkins): which days, when, and how often the
    scheduler looks for due ones. Times of day are in the patient's own time zone."""

    days_raw: str = Field("1,3,7,14", env="CHECKIN_DAYS")
    send_time: str = Field("10:00", env="CHECKIN_SEND_TIME")
    # No check-in is sent from quiet_start to quiet_end (patient's local time): a due
    # one waits for the morning.
    quiet_start: str = Field("21:00", env="CHECKIN_QUIET_START")
    quiet_end: str = Field("08:00", env="CHECKIN_QUIET_END")
    default_time_zone: str = Field("America/New_York", env="CHECKIN_TIME_ZONE")
    poll_seconds: float = Field(30.0, env="CHECKIN_POLL_SECONDS")
    # A check-in not answered this long after it was sent gets one reminder; one
    # still unanswered this long after the reminder is "missed" (the follow-up queue).
    remind_after_hours: float = Field(6.0, env="CHECKIN_REMIND_AFTER_HOURS")
    missed_after_hours: float = Field(18.0, env="CHECKIN_MISSED_AFTER_HOURS")
    # A row left "sending" this long (its scheduler died mid-send) is looked at again.
    stuck_after_seconds: float = Field(300.0, env="CHECKIN_STUCK_AFTER_SECONDS")
    # The Rasa input channel each enrolment channel's messages go out through.
    twilio_channel: str = Field("twilio", env="CHECKIN_TWILIO_CHANNEL")
    telegram_channel: str = Field("telegram", env="CHECKIN_TELEGRAM_CHANNEL")

    class Config:
        case_sensitive = False

    @validator("days_raw")
    def _days(cls, value: str) -> str:  # noqa: N805 - pydantic's signature
        days = [d.strip() for d in value.split(",") if d.strip()]
        if not days or not all(d.isdigit() and 0 < int(d) <= 365 for d in days):
            raise ValueError("CHECKIN_DAYS must be days after the procedure, e.g. 1,3,7,14")
        return ",".join(days)

    @validator("send_time", "quiet_start", "quiet_end")
    def _clock_time(cls, value: str) -> str:  # noqa: N805
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value.strip()):
            raise ValueError("must be a time of day, HH:MM")
        return value.strip()

    @property
    def days(self) -> List[int]:
        return sorted({int(d) for d in self.days_raw.split(",")})


@lru_cache(maxsize=1)
def get_checkin_settings() -> CheckinSettings:
    return CheckinSettings()
