"""Waits until every URL answers HTTP 200, or fails after a timeout; finds a free port
for a server about to start."""
from __future__ import annotations

import argparse
import socket
import sys
import time
import urllib.error
import urllib.request


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_for(urls: list[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        pending = [url for url in pending if not ready(url)]
        if pending:
            time.sleep(0.25)
    return not pending


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    if wait_for(args.urls, args.timeout):
        return 0
    print(f"not ready after {args.timeout:.0f}s: {' '.join(args.urls)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
