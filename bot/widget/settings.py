"""Settings of the web widget, read from the environment (same style as bot/settings.py).

Rasa's socket channel (channels/socketio.py) reads the same settings, so the
widget server and the channel agree on origins, limits and token lifetime.
"""
from __future__ import annotations

from functools import lru_cache
from typing import List

from pydantic import BaseSettings, Field


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
