"""The action server, closed to everyone but the Rasa server.

    python -m actions.server [--port 5055] [--host 127.0.0.1]

rasa-sdk's own server (`rasa run actions`) listens on every interface, takes
any caller, and answers a failing call with a 500 that echoes the exception and
the request body (a patient's words). A plain POST with made-up slots could
then write callback requests and screening results. This entry point serves
the same rasa-sdk app with three changes:

- it listens on loopback unless told otherwise (`ACTIONS_HOST`);
- every call but `/health` must carry the shared secret that Rasa sends
  (header `X-Action-Token`, from `ACTION_SERVER_TOKEN` on both sides:
  endpoints.yml and deploy/endpoints.production.yml name it), compared in
  constant time; without it: 401;
- a body that is not an action call gets a 400, and any failure a 500 with a
  fixed message: an id and the error class go to the log, never the body.
"""
from __future__ import annotations

import argparse
import hmac
import logging
import os
import uuid
from typing import Any, Optional

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Action-Token"
TOKEN_ENV = "ACTION_SERVER_TOKEN"
OPEN_PATHS = {"/health"}


# the tracker's parts and the type Rasa always sends them as (rasa-sdk fails on others)
TRACKER_PARTS = {"slots": dict, "latest_message": dict, "events": list, "active_loop": dict}


def is_action_call(body: Any) -> bool:
    """The shape Rasa sends: the action's name, the tracker and the domain; every
    event an object (the fuzz suite found a 500 for `"events": [null]`)."""
    if not (isinstance(body, dict) and isinstance(body.get("next_action"), str)
            and isinstance(body.get("tracker"), dict) and isinstance(body.get("domain", {}), dict)
            and isinstance(body["tracker"].get("sender_id"), str)):
        return False
    tracker = body["tracker"]
    if any(tracker.get(part) is not None and not isinstance(tracker[part], kind)
           for part, kind in TRACKER_PARTS.items()):
        return False
    return all(isinstance(event, dict) and isinstance(event.get("event", ""), str)
               for event in tracker.get("events") or [])


def build_app(token: str, package: str = "actions") -> Sanic:
    if len(token) < 16:
        raise ValueError(f"{TOKEN_ENV} must be at least 16 characters")
    app = create_app(package, cors_origins=None)
    expected = token.encode()

    async def guard(request: Request) -> Optional[response.HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        given = (request.headers.get(TOKEN_HEADER) or "").encode()
        if not hmac.compare_digest(given, expected):
            return response.json({"error": "unauthorized"}, status=401)
        if request.path == "/webhook":
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - Sanic raises its own error for bad JSON
                body = None
            if not is_action_call(body):
                return response.json({"error": "malformed action call"}, status=400)
        return None

    app.register_middleware(guard, "request")

    async def failure(request: Request, exception: Exception) -> response.HTTPResponse:
        incident = uuid.uuid4().hex[:12]
        # health data may be in the body or the exception text: class and id only
        logger.error("Action call failed (%s): %s", incident, type(exception).__name__)
        status = getattr(exception, "status_code", 500)
        if not isinstance(status, int) or status < 400:
            status = 500
        return response.json({"error": "action failed", "incident": incident}, status=status)

    app.error_handler.add(Exception, failure)
    return app


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", "5055")))
    parser.add_argument("--host", default=os.environ.get("ACTIONS_HOST", "127.0.0.1"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        parser.error(f"{TOKEN_ENV} is not set: the action server refuses to run open to any caller")
    app = build_app(token)
    logger.info("Action server on http://%s:%s (calls need %s)", args.host, args.port, TOKEN_HEADER)
    app.run(args.host, args.port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
