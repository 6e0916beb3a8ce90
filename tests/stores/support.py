"""What the tracker store tests share: the store on a test database's URL."""
from __future__ import annotations

from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url

from stores.tracker_store import DurableSQLTrackerStore


def store_for(url: str) -> DurableSQLTrackerStore:
    parts = make_url(url)
    if parts.get_backend_name() == "sqlite":
        return DurableSQLTrackerStore(Domain.empty(), dialect="sqlite", db=parts.database)
    return DurableSQLTrackerStore(Domain.empty(), dialect="postgresql", host=parts.host, port=parts.port,
                                  db=parts.database, username=parts.username, password=parts.password)
