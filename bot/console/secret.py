"""The console's signing key: from the environment, else generated once into var/."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from bot.settings import ConsoleSettings


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
