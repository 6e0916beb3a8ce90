"""Test support for check-ins: a clock the test sets, and a stand-in for Rasa's HTTP
API (trigger_intent and the tracker) that records every trigger it receives."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs, urlsplit


class SetClock:
    """`now` is whatever the test says; `advance` moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now.astimezone(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now.astimezone(timezone.utc)

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class RasaStandIn:
    """Answers POST /conversations/<id>/trigger_intent and GET .../tracker like Rasa,
    keeping the triggers per conversation; `delay` holds each trigger open a while,
    which widens any window in which two schedulers could both send."""

    def __init__(self, token: str = "test-token", delay: float = 0.0) -> None:
        self.token = token
        self.delay = delay
        self.triggers: List[Dict[str, Any]] = []
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _parts(self):
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                segments = url.path.split("/")
                if query.get("token") != [stand_in.token]:
                    return None, None, None
                return segments[2], segments[3], query  # as Rasa: the id as it stands in the path

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                conversation, what, query = self._parts()
                if conversation is None or what != "trigger_intent":
                    return self._reply(401 if conversation is None else 404, {})
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                threading.Event().wait(stand_in.delay)
                with stand_in.lock:
                    stand_in.triggers.append({"conversation": conversation, "name": body["name"],
                                              "entities": body.get("entities") or {},
                                              "output_channel": query.get("output_channel", [None])[0]})
                self._reply(200, {"tracker": {}, "messages": []})

            def do_GET(self) -> None:  # noqa: N802
                conversation, what, _ = self._parts()
                if conversation is None or what != "tracker":
                    return self._reply(401 if conversation is None else 404, {})
                events = [{"event": "user", "parse_data": {
                    "intent": {"name": t["name"]},
                    "entities": [{"entity": k, "value": v} for k, v in t["entities"].items()]}}
                    for t in stand_in.triggered(conversation)]
                self._reply(200, {"sender_id": conversation, "events": events})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "RasaStandIn":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def triggered(self, conversation: Optional[str] = None) -> List[Dict[str, Any]]:
        with self.lock:
            return [t for t in self.triggers if conversation is None or t["conversation"] == conversation]

    def count(self, checkin_id: int, reminder: bool = False) -> int:
        return sum(1 for t in self.triggered() if t["entities"].get("checkin_id") == str(checkin_id)
                   and ("checkin_reminder" in t["entities"]) == reminder)
