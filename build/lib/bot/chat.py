"""A terminal chat with the running assistant over its REST channel.

    ./scripts/chat.sh            # RASA_URL defaults to http://localhost:5005
Buttons are shown numbered; type the number to press one.
"""
from __future__ import annotations

import json
import sys
import urllib.request
import uuid
from typing import Any, Dict, List

from bot.settings import get_settings


def send(base_url: str, sender: str, message: str) -> List[Dict[str, Any]]:
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(
        f"{base_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"[]")


def main() -> int:
    base_url = get_settings().rasa_url.rstrip("/")
    sender = f"terminal-{uuid.uuid4().hex[:8]}"
    print("Ask about kyphoplasty. Ctrl-D or 'quit' to leave.")
    buttons: List[Dict[str, str]] = []
    while True:
        try:
            text = input("you> ").strip()
        except EOFError:
            print()
            return 0
        if text.lower() in {"quit", "exit"}:
            return 0
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        buttons = []
        for reply in send(base_url, sender, text):
            if reply.get("text"):
                print(f"bot> {reply['text']}")
            for button in reply.get("buttons") or []:
                buttons.append(button)
                print(f"     {len(buttons)}. {button['title']}")


if __name__ == "__main__":
    sys.exit(main())
