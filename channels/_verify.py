"""Small helpers shared by the connectors: config checks and HTTP refusals."""
from __future__ import annotations

from typing import Any, Dict, Iterable

from rasa.shared.exceptions import InvalidConfigException
from sanic import response
from sanic.response import HTTPResponse


def require(channel: str, credentials: Dict[str, Any], keys: Iterable[str]) -> None:
    missing = [key for key in keys if not credentials.get(key)]
    if missing:
        raise InvalidConfigException(
            f"the {channel} channel needs {', '.join(missing)} (see docs/widget.md, 'Channels'); "
            f"it never runs without verifying that calls come from the platform")


def refuse(status: int, why: str) -> HTTPResponse:
    return response.json({"error": why}, status=status)
