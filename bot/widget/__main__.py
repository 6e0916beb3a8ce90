"""`python -m bot.widget`: serve the demo practice page with the chat widget."""
from __future__ import annotations

import logging
import sys

from bot.settings import get_settings, get_widget_settings
from bot.widget import tokens
from bot.widget.server import STATIC, WidgetServer


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = get_widget_settings()
    if not (STATIC / "vendor" / "socket.io.min.js").exists():
        print("the socket.io client is not vendored: run `npm ci` in bot/widget, "
              "then `python -m bot.widget.vendor`", file=sys.stderr)
        return 1
    server = WidgetServer(settings, tokens.load_secret(), get_settings())
    host, port = server.server_address[:2]
    print(f"demo page with the chat widget on http://{host}:{port}/ "
          f"(chat server {settings.socket_url})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
