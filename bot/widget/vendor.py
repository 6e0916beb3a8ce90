"""Copies the widget's npm dependencies into static/vendor (run after `npm ci`).

    cd bot/widget && npm ci && cd - && python -m bot.widget.vendor
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "static" / "vendor"
# (file in node_modules, name under static/vendor). axe-core (a dev dependency)
# is not copied: only the browser test injects it, from node_modules.
FILES = [
    ("socket.io-client/dist/socket.io.min.js", "socket.io.min.js"),
]


def main() -> int:
    VENDOR.mkdir(parents=True, exist_ok=True)
    missing = [source for source, _ in FILES if not (HERE / "node_modules" / source).exists()]
    if missing:
        print(f"missing {', '.join(missing)}: run `npm ci` in {HERE}", file=sys.stderr)
        return 1
    for source, name in FILES:
        shutil.copyfile(HERE / "node_modules" / source, VENDOR / name)
        print(f"vendored {source} -> {(VENDOR / name).relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
