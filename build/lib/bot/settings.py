"""All configuration, read from the environment in one place.

Defaults are the embedded set-up (SQLite under var/, no external server); the
production set-up sets the variables (see README, "Production").
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, Field

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

    # Region for reading phone numbers written without a country code.
    phone_region: str = Field("US", env="PHONE_REGION")

    rasa_url: str = Field("http://localhost:5005", env="RASA_URL")
    rasa_token: str = Field("", env="RASA_TOKEN")

    class Config:
        case_sensitive = False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
