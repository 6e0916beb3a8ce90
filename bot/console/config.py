"""Console settings, read from the environment (defaults: the embedded set-up)."""
from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, Field

from bot.settings import VAR_DIR


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

    class Config:
        case_sensitive = False


@lru_cache(maxsize=1)
def get_console_settings() -> ConsoleSettings:
    return ConsoleSettings()


def load_secret_key(settings: ConsoleSettings) -> str:
    """CONSOLE_SECRET_KEY, else the key in var/console_secret (created once, mode 600)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.secret_file)
    if path.exists() and path.stat().st_size >= 32:
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once cannot both write a key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    os.chmod(path, 0o600)
    return key
