"""Serve the console: `python -m bot.console [--host H] [--port P]`.

Threaded WSGI server from Werkzeug, fine for a clinic's handful of staff on one
machine. Behind TLS in production, set CONSOLE_SECURE_COOKIES=true; any WSGI server
can serve `bot.console:create_app()` instead.
"""
from __future__ import annotations

import argparse
import logging
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler, run_simple

from bot.console import create_app
from bot.settings import get_console_settings
from bot.db.migrate import upgrade


class PathOnlyRequestHandler(WSGIRequestHandler):
    """Werkzeug's access log without the query string: a search box's words
    (names, symptoms) are not kept in a log file."""

    def log_request(self, code="-", size="-") -> None:
        path = urlsplit(getattr(self, "path", "") or "").path
        self.log("info", '"%s %s" %s %s', getattr(self, "command", "-"), path, code, size)


def main() -> None:
    settings = get_console_settings()
    parser = argparse.ArgumentParser(description="Staff review console")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    parser.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.no_migrate:
        upgrade()
    app = create_app()
    print(f"staff review console on http://{args.host}:{args.port}/", flush=True)
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False, use_debugger=False,
               request_handler=PathOnlyRequestHandler)


if __name__ == "__main__":
    main()
