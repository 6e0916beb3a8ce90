"""A local stand-in for the Telegram Bot API, Twilio's REST API and Slack's Web API.

Listens on 127.0.0.1 only. Records every call and answers in each platform's
documented response format, so Rasa's output channels (aiogram, twilio,
slack_sdk) take the reply as delivered. Nothing leaves the machine.
"""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import parse_qs, urlsplit

TELEGRAM = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")
TWILIO = re.compile(r"^/2010-04-01/Accounts/(?P<sid>\w+)/Messages\.json$")
SLACK = re.compile(r"^/api/(?P<method>[\w.]+)$")
BOT_USERNAME = "riverside_spine_bot"


class Call(dict):
    @property
    def params(self) -> Dict[str, Any]:
        return self["params"]


class StandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls: List[Call] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> "StandIn":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def wait_for(self, match: Callable[[Call], bool], count: int = 1,
                 timeout: float = 60) -> List[Call]:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = [c for c in self.calls if match(c)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


class _Handler(BaseHTTPRequestHandler):
    server: StandIn

    def log_message(self, *args: Any) -> None:
        pass

    def _params(self) -> Dict[str, Any]:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        content_type = self.headers.get("Content-Type", "")
        if "json" in content_type:
            return json.loads(body or b"{}")
        if "multipart/form-data" in content_type:
            from email.parser import BytesParser
            message = BytesParser().parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + body)
            return {part.get_param("name", header="content-disposition"):
                    part.get_payload(decode=True).decode() for part in message.get_payload()}
        return {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}

    def _answer(self, status: int, data: Any) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        self.do_POST()

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        params = self._params() if self.command == "POST" else {}
        now = int(time.time())
        if match := TELEGRAM.match(path):
            method = match["method"].lower()
            self.server.record(Call(platform="telegram", method=method, params=params))
            result: Any = True
            if method == "getme":
                result = {"id": 1234567890, "is_bot": True, "first_name": "Riverside Spine",
                          "username": BOT_USERNAME}
            elif method == "sendmessage":
                result = {"message_id": len(self.server.calls), "date": now,
                          "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                          "text": params.get("text", "")}
            self._answer(200, {"ok": True, "result": result})
        elif match := TWILIO.match(path):
            self.server.record(Call(platform="twilio", method="messages", params=params))
            self._answer(201, {
                "sid": f"SM{len(self.server.calls):032d}", "account_sid": match["sid"],
                "to": params.get("To"), "from": params.get("From"), "body": params.get("Body"),
                "status": "queued", "num_segments": "1", "direction": "outbound-api",
                "api_version": "2010-04-01", "date_created": None, "date_updated": None,
                "date_sent": None, "uri": path})
        elif match := SLACK.match(path):
            self.server.record(Call(platform="slack", method=match["method"], params=params))
            self._answer(200, {"ok": True, "channel": params.get("channel"), "ts": f"{now}.000100",
                               "message": {"text": params.get("text", "")}})
        else:
            self._answer(404, {"ok": False, "error": "not a stand-in path"})
