"""The audit log: who viewed, exported, unmasked or changed what, and when."""
from __future__ import annotations

import json
from typing import Any, Optional

from flask import g, request
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from bot.db.models import AuditEntry

audit_log = AuditEntry.__table__


def record(connection: Connection, action: str, target: Optional[str] = None,
           detail: Any = None, username: Optional[str] = None) -> None:
    """Write one entry in the caller's transaction (the action and its record commit together)."""
    if username is None:
        user = getattr(g, "user", None)
        username = user["username"] if user else "anonymous"
    if detail is not None and not isinstance(detail, str):
        detail = json.dumps(detail, sort_keys=True, default=str)
    try:
        remote = request.remote_addr
    except RuntimeError:  # outside a request (CLI)
        remote = None
    connection.execute(insert(audit_log).values(
        username=username[:80], action=action[:48], target=(target or None) and target[:255],
        detail=detail, remote_addr=(remote or None) and remote[:64]))
