#!/usr/bin/env bash
# Terminal chat with the running assistant (start it with ./scripts/run.sh).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" && PYTHONPATH="$ROOT" exec .venv/bin/python -m bot.chat "$@"
