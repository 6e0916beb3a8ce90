"""Rasa's SQL tracker store table, read with SQLAlchemy Core.

The definition mirrors Rasa 3.6's `SQLTrackerStore.SQLEvent`; the console never
creates or alters it in a real deployment (only tests and the benchmark create it,
in scratch databases, to stand in for a Rasa server).
"""
from __future__ import annotations

import json
from typing import Any, Dict, Optional

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, inspect
from sqlalchemy.engine import Engine

rasa_metadata = MetaData()

events = Table(
    "events",
    rasa_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

# Reply kinds that matter to reviewers (utter_action values).
EMERGENCY = "utter_emergency"
NOT_COVERED = "utter_not_covered"
FALLBACK = "utter_not_sure"  # the low-confidence fallback
HANDOFF = "utter_handoff"
OUT_OF_SCOPE = "utter_out_of_scope"


def events_table_exists(engine: Engine) -> bool:
    return inspect(engine).has_table("events")


def create_events_table_for_tests(engine: Engine) -> None:
    """Only for tests / the benchmark: a stand-in for the table Rasa creates itself."""
    rasa_metadata.create_all(engine)


def parse(data: Optional[str]) -> Dict[str, Any]:
    if not data:
        return {}
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def utter_action(event: Dict[str, Any]) -> Optional[str]:
    metadata = event.get("metadata") or {}
    value = metadata.get("utter_action") or metadata.get("template")
    return value if isinstance(value, str) else None


def answer_label(action: Optional[str]) -> str:
    """`utter_about/what_is` -> `about/what_is`; `utter_emergency` -> `emergency`."""
    if not action:
        return ""
    return action[len("utter_"):] if action.startswith("utter_") else action
