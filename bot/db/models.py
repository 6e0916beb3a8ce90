"""Tables the assistant writes for clinic staff. Created by Alembic migrations
(bot/db/migrations), never at import time. Rasa's own `events` table is not
modelled here: the console reads it, only retention and deletion write to it.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ScreeningResult(Base):
    """One completed screening checklist: the answers and the outcome given."""

    __tablename__ = "screening_results"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)
    answers = Column(JSON, nullable=False)
    outcome = Column(String(32), nullable=False, index=True)
    notes = Column(JSON, nullable=False, default=list)
    flagged_for_care_team = Column(Boolean, nullable=False, default=False)

    callbacks = relationship("CallbackRequest", back_populates="screening")


class CallbackRequest(Base):
    """A patient's request that the care team call them back."""

    __tablename__ = "callback_requests"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)
    screening_id = Column(Integer, ForeignKey("screening_results.id", ondelete="SET NULL"), nullable=True)
    name = Column(String(120), nullable=False)
    phone = Column(String(32), nullable=False)
    consent = Column(Boolean, nullable=False)
    status = Column(String(16), nullable=False, default="open", index=True)
    handled_by = Column(String(120), nullable=True)
    handled_at = Column(DateTime(timezone=True), nullable=True)
    note = Column(Text, nullable=True)

    screening = relationship("ScreeningResult", back_populates="callbacks")
