"""The demo practice page server: the page, the widget's files, and POST /session.

Standard library only (http.server, threaded). POST /session hands a browser a
new session id and the signed token that binds it (tokens.py); Rasa's socket
channel accepts that session only with that token.

GET /summary is the checklist's printable summary page (summary.py); its
script takes the session id and token from the address's fragment (never sent
to a server, never logged) and POSTs them to /summary: the answers go only to
the holder of that conversation's token, never for a guessable id.
"""
from __future__ import annotations

import html
import json
import logging
import mimetypes
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

from bot.rate_limits import Buckets
from bot.settings import Settings, WidgetSettings
from bot.widget import summary, tokens

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
DEMO_PAGE = HERE / "demo" / "index.html"
SUMMARY_PAGE = HERE / "summary" / "index.html"
# The summary page loads nothing but its own script and stylesheet, from here.
SUMMARY_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")

logger = logging.getLogger(__name__)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def widget_config(settings: WidgetSettings, assistant: Settings) -> dict:
    """The small config object a practice pastes with the script tag.

    The numbers and the source's title come from the assistant's settings, the
    same ones the other channels read, so the widget cannot offer a different
    emergency number than the practice configured.
    """
    return {
        "socketUrl": settings.socket_url,
        "title": f"{settings.practice_name} assistant",
        "phone": assistant.care_team_phone,
        "emergencyNumber": assistant.emergency_number,
        "crisisLine": assistant.crisis_line,
        "sourceTitle": assistant.source_title,
        "maxMessageChars": settings.max_message_chars,
    }


def content_security_policy(settings: WidgetSettings) -> str:
    socket_origin = _origin_of(settings.socket_url)
    ws_origin = socket_origin.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {socket_origin} {ws_origin}; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'")


class WidgetServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, settings: WidgetSettings, secret: str, assistant: Settings) -> None:
        self.settings = settings
        self.secret = secret
        config = json.dumps(widget_config(settings, assistant))
        self.page = DEMO_PAGE.read_text(encoding="utf-8").replace(
            "{{WIDGET_CONFIG}}", html.escape(config, quote=True)).encode("utf-8")
        self.csp = content_security_policy(settings)
        self.summary_page = SUMMARY_PAGE.read_bytes()
        self.rasa = (assistant.rasa_url, assistant.rasa_token)
        self.token_limit = Buckets(settings.tokens_per_address_hour, settings.tokens_per_address_hour / 3600)
        super().__init__((settings.host, settings.port), Handler)


class Handler(BaseHTTPRequestHandler):
    server: WidgetServer
    server_version = "widget"
    sys_version = ""

    def setup(self) -> None:
        # a client that sends nothing for this long is dropped, not waited for
        self.timeout = self.server.settings.read_timeout_seconds
        super().setup()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        logger.info("%s %s", self.address_string(), format % args)

    # --- helpers
    def _send(self, status: int, body: bytes, content_type: str, headers: Optional[dict] = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: dict, headers: Optional[dict] = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json",
                   {"Cache-Control": "no-store", **(headers or {})})

    def _cors(self) -> Optional[dict]:
        """CORS headers for an allowed Origin, {} without one, None for a foreign origin."""
        origin = self.headers.get("Origin")
        if not origin:
            return {}
        if origin.rstrip("/") in self.server.settings.allowed_origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return None

    # --- routes
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path = urlsplit(self.path).path
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, self.server.page, "text/html; charset=utf-8",
                       {"Content-Security-Policy": self.server.csp, "Cache-Control": "no-cache"})
        elif path == "/summary":
            self._send(HTTPStatus.OK, self.server.summary_page, "text/html; charset=utf-8",
                       {"Content-Security-Policy": SUMMARY_CSP, "Cache-Control": "no-store"})
        elif path == "/healthz":
            self._json(HTTPStatus.OK, {"status": "ok"})
        elif path.startswith("/widget/"):
            self._static(path[len("/widget/"):])
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    do_HEAD = do_GET

    def _static(self, relative: str) -> None:
        target = (STATIC / relative).resolve()
        if STATIC not in target.parents or not target.is_file():
            self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        # The widget is embedded on other sites: its files may be loaded cross-origin.
        self._send(HTTPStatus.OK, target.read_bytes(), content_type,
                   {"Cache-Control": "no-cache", "Cross-Origin-Resource-Policy": "cross-origin"})

    def do_OPTIONS(self) -> None:  # noqa: N802
        cors = self._cors()
        if urlsplit(self.path).path != "/session" or cors is None:
            self._json(HTTPStatus.FORBIDDEN, {"error": "origin not allowed"})
            return
        self._send(HTTPStatus.NO_CONTENT, b"", "text/plain", {
            **cors, "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "600"})

    def _body(self, headers: dict) -> Optional[bytes]:
        """The request body, up to 1 KiB; None after answering a bad one."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._json(HTTPStatus.BAD_REQUEST, {"error": "bad Content-Length"}, headers)
            return None
        if length > 1024:
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "body too large"}, headers)
            return None
        return self.rfile.read(length)

    def _summary(self) -> None:
        """The last finished checklist of the conversation whose token is sent.

        Same-origin only (the summary page): no CORS headers, and a request from
        another page's origin is refused before anything is read.
        """
        origin = self.headers.get("Origin")
        if origin and urlsplit(origin).netloc != (self.headers.get("Host") or ""):
            self._json(HTTPStatus.FORBIDDEN, {"error": "origin not allowed"})
            return
        body = self._body({})
        if body is None:
            return
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = None
        session_id = data.get("session_id") if isinstance(data, dict) else None
        token = data.get("token") if isinstance(data, dict) else None
        if not tokens.verify(self.server.secret, session_id, token, self.server.settings.token_ttl_seconds):
            self._json(HTTPStatus.FORBIDDEN, {"error": "this chat's session has ended"})
            return
        try:
            found = summary.for_conversation(tokens.conversation_id(self.server.secret, session_id),
                                             *self.server.rasa)
        except Exception as error:  # noqa: BLE001 - Rasa unreachable; health data: no details
            logger.error("Could not read a checklist summary: %s", type(error).__name__)
            self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "try again later"})
            return
        if found is None:
            self._json(HTTPStatus.NOT_FOUND, {"error": "no finished checklist in this chat"})
            return
        self._json(HTTPStatus.OK, found)

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if path == "/summary":
            self._summary()
            return
        if path != "/session":
            self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        cors = self._cors()
        if not cors:  # a token only for a page of an allowed origin (a browser always sends Origin here)
            self._json(HTTPStatus.FORBIDDEN, {"error": "origin not allowed"})
            return
        wait = self.server.token_limit.retry_after(self.client_address[0])
        if wait:
            self._json(HTTPStatus.TOO_MANY_REQUESTS, {"error": "too many chats started; try again later"},
                       {**cors, "Retry-After": str(wait)})
            return
        if self._body(cors) is None:  # nothing in it is used: every session is new
            return
        session_id, token = tokens.issue(self.server.secret)
        self._json(HTTPStatus.OK, {"session_id": session_id, "token": token,
                                   "expires_in": self.server.settings.token_ttl_seconds}, cors)
