"""Signed web-chat session tokens, shared by the widget server and Rasa's socket channel.

The widget server issues `v1.<session_id>.<issued_at>.<signature>` where the
signature is HMAC-SHA256 over the rest with a secret both processes know
(WIDGET_SECRET, or var/widget_secret generated once). The socket channel binds a
browser's socket to a conversation only when the token verifies, so knowing a
session id alone gets nobody into that conversation.

Standard library only: Rasa's process imports this module too.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Optional

VERSION = "v1"
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
MIN_SECRET_CHARS = 32
DEFAULT_SECRET_FILE = Path(__file__).resolve().parent.parent.parent / "var" / "widget_secret"


class SecretError(RuntimeError):
    """The shared secret is missing or too weak."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signature(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode("utf-8"), body.encode("utf-8"), hashlib.sha256).digest())


def new_session_id() -> str:
    return secrets.token_hex(16)


def issue(secret: str, session_id: Optional[str] = None, now: Optional[float] = None) -> tuple[str, str]:
    """A new (session_id, token) pair; the token proves the holder was given this id."""
    session_id = session_id or new_session_id()
    if not SESSION_ID.match(session_id):
        raise ValueError("a session id is 32 lowercase hex characters")
    body = f"{VERSION}.{session_id}.{int(now if now is not None else time.time())}"
    return session_id, f"{body}.{_signature(secret, body)}"


def verify(secret: str, session_id: object, token: object, max_age: float,
           now: Optional[float] = None) -> bool:
    """True when `token` was issued with `secret` for exactly `session_id` and is not too old."""
    if not isinstance(session_id, str) or not isinstance(token, str) or len(token) > 200:
        return False
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION or not parts[2].isdigit():
        return False
    body = ".".join(parts[:3])
    if not hmac.compare_digest(_signature(secret, body), parts[3]):
        return False
    if not hmac.compare_digest(parts[1], session_id):
        return False
    age = (now if now is not None else time.time()) - int(parts[2])
    return -60 <= age <= max_age


def conversation_id(secret: str, session_id: str) -> str:
    """The Rasa sender id of a web session: derived with the secret, never shown to the browser.

    Other channels (REST, say) address conversations by sender id; deriving it
    means knowing a browser's session id does not let anyone post into, or
    read, that conversation through them.
    """
    return "web-" + _signature(secret, f"conversation.{session_id}")[:32]


def load_secret(env: Optional[dict] = None, secret_file: Optional[Path] = None) -> str:
    """WIDGET_SECRET from the environment, else the one kept in var/widget_secret (made once, mode 600)."""
    env = os.environ if env is None else env
    value = env.get("WIDGET_SECRET", "").strip()
    if value:
        if len(value) < MIN_SECRET_CHARS:
            raise SecretError(f"WIDGET_SECRET must be at least {MIN_SECRET_CHARS} characters")
        return value
    path = Path(env.get("WIDGET_SECRET_FILE") or secret_file or DEFAULT_SECRET_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write to a private temporary file, then link it into place: the widget
        # server and Rasa may both start at once, and the first link wins whole.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".widget_secret.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            os.chmod(temporary, 0o600)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    value = path.read_text().strip()
    if len(value) < MIN_SECRET_CHARS:
        raise SecretError(f"{path} holds no usable secret; delete it to make a new one")
    return value
