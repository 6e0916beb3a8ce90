"""Writes Rasa's credentials file from the environment: `python -m channels.credentials`.

    python -m channels.credentials            # writes var/credentials.yml
    rasa run --credentials var/credentials.yml ...

Every channel is configured by environment variables only. The file holds no
secret: it names the variables (`${TELEGRAM_ACCESS_TOKEN}`), which Rasa fills
in from the environment when it reads the file. It lists only the channels
whose variables are set, so an unset platform never breaks the embedded run;
a channel with only some of its required variables set is an error (exit 2),
never a channel that runs without checking signatures.

Always present: the REST channel, channels/rest.py (unless REST_CHANNEL=false;
with REST_TOKEN set, every request must carry it), and the web widget's
socket.io channel (channels/socketio.py).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

from bot.settings import WidgetSettings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "var" / "credentials.yml"

# channel class -> (required {key: VAR}, optional {key: VAR})
PLATFORMS: Dict[str, Tuple[Dict[str, str], Dict[str, str]]] = {
    "channels.telegram.SecureTelegramInput": (
        {"access_token": "TELEGRAM_ACCESS_TOKEN", "verify": "TELEGRAM_BOT_USERNAME",
         "webhook_url": "TELEGRAM_WEBHOOK_URL", "secret_token": "TELEGRAM_SECRET_TOKEN"},
        {"api_base_url": "TELEGRAM_API_BASE_URL"}),
    "channels.twilio.SecureTwilioInput": (
        {"account_sid": "TWILIO_ACCOUNT_SID", "auth_token": "TWILIO_AUTH_TOKEN",
         "twilio_number": "TWILIO_NUMBER"},
        {"whatsapp_number": "TWILIO_WHATSAPP_NUMBER", "webhook_base_url": "TWILIO_WEBHOOK_BASE_URL",
         "api_base_url": "TWILIO_API_BASE_URL"}),
    "channels.slack.SecureSlackInput": (
        {"slack_token": "SLACK_TOKEN", "slack_signing_secret": "SLACK_SIGNING_SECRET"},
        {"slack_channel": "SLACK_CHANNEL", "api_base_url": "SLACK_API_BASE_URL"}),
}
SOCKET_CHANNEL = "channels.socketio.SecureSocketIOInput"


class IncompleteChannel(ValueError):
    pass


def _yaml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid double-quoted YAML scalar


def widget_settings(env: Mapping[str, str]) -> WidgetSettings:
    fields = {"port": "WIDGET_PORT", "allowed_origins_raw": "WIDGET_ALLOWED_ORIGINS",
              "token_ttl_seconds": "WIDGET_TOKEN_TTL", "max_message_chars": "WIDGET_MAX_MESSAGE_CHARS"}
    return WidgetSettings(**{field: env[var] for field, var in fields.items() if env.get(var)})


def build(env: Mapping[str, str]) -> Tuple[str, List[str]]:
    """The credentials YAML for `env`, and the names of the channels in it."""
    lines = ["# Written by `python -m channels.credentials` from the environment; do not edit.",
             "# ${VAR} values are read by Rasa from the environment when it starts."]
    names: List[str] = []
    if env.get("REST_CHANNEL", "true").lower() not in ("0", "false", "no", "off"):
        lines.append("channels.rest.GuardedRestInput:")  # /webhooks/rest/webhook, with input checks
        if env.get("REST_TOKEN"):  # then every REST request must carry it
            lines.append("  token: ${REST_TOKEN}")
        names.append("rest")

    settings = widget_settings(env)
    lines.append(f"{SOCKET_CHANNEL}:")
    lines.append("  cors_allowed_origins: [" + ", ".join(_yaml_str(o) for o in settings.allowed_origins) + "]")
    lines.append(f"  max_message_chars: {int(settings.max_message_chars)}")
    lines.append(f"  token_ttl_seconds: {int(settings.token_ttl_seconds)}")
    if env.get("WIDGET_SECRET"):
        lines.append("  token_secret: ${WIDGET_SECRET}")
    names.append("socketio")

    for channel, (required, optional) in PLATFORMS.items():
        present = [var for var in required.values() if env.get(var)]
        if not present:
            continue
        missing = [var for var in required.values() if not env.get(var)]
        if missing:
            raise IncompleteChannel(
                f"{channel.rsplit('.', 1)[1]}: {', '.join(present)} set but {', '.join(missing)} not")
        lines.append(f"{channel}:")
        for key, var in {**required, **optional}.items():
            if env.get(var):
                # unquoted, so Rasa's YAML reader expands it
                lines.append(f"  {key}: ${{{var}}}")
        names.append(channel)
    return "\n".join(lines) + "\n", names


def write(out: Path, env: Optional[Mapping[str, str]] = None) -> List[str]:
    text, names = build(os.environ if env is None else env)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temporary, out)
    return names


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        names = write(args.out, os.environ)
    except IncompleteChannel as error:
        print(f"channel not configured completely: {error}", file=sys.stderr)
        return 2
    print(f"{args.out}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
