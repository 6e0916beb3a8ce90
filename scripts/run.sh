#!/usr/bin/env bash
# One command to set up and run the assistant on embedded defaults (SQLite, no
# external server): action server on :5055, Rasa server on :5005 (REST and
# socket.io channels, HTTP API with a token; Telegram, Twilio and Slack when their
# variables are set), the widget's demo page on :8080 and the staff review
# console on :5080, and the check-in scheduler. Ctrl-C stops everything.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Conversations are health data: everything this creates (the database, logs,
# tokens) is readable by this user only, and so is what earlier runs left.
umask 077
source "$ROOT/scripts/setup.sh"
chmod 700 var
find var -maxdepth 1 -type f -exec chmod 600 {} +

RASA_PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
WIDGET_PORT="${WIDGET_PORT:-8080}"
CONSOLE_PORT="${CONSOLE_PORT:-5080}"
export WIDGET_PORT CONSOLE_PORT WIDGET_SOCKET_URL="${WIDGET_SOCKET_URL:-http://localhost:$RASA_PORT}"

# Channels come from the environment only (no secret in the repo): this writes
# var/credentials.yml with ${VAR} references, for the channels that are set.
python -m channels.credentials
python -m bot.db.migrate >/dev/null
# The HTTP API token: from the environment, else one generated for this machine
# and kept (readable by this user only) in var/rasa_token.
if [[ -z "${RASA_TOKEN:-}" ]]; then
  if [[ ! -s var/rasa_token ]]; then
    (umask 077; python -c 'import secrets; print(secrets.token_hex(24))' > var/rasa_token)
  fi
  RASA_TOKEN="$(cat var/rasa_token)"
fi
export RASA_TOKEN RASA_URL="http://localhost:$RASA_PORT"
# The action server's shared secret, likewise (var/action_token, mode 600), and
# where Rasa calls it: ACTIONS_PORT decides both ends.
if [[ -z "${ACTION_SERVER_TOKEN:-}" ]]; then
  if [[ ! -s var/action_token ]]; then
    (umask 077; python -c 'import secrets; print(secrets.token_hex(24))' > var/action_token)
  fi
  ACTION_SERVER_TOKEN="$(cat var/action_token)"
fi
export ACTION_SERVER_TOKEN ACTIONS_PORT ACTION_SERVER_URL="http://127.0.0.1:$ACTIONS_PORT/webhook"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

echo "==> starting the action server on :$ACTIONS_PORT"
python -m actions.server --port "$ACTIONS_PORT" > var/actions.log 2>&1 &
pids+=($!)

echo "==> starting the Rasa server on :$RASA_PORT (logs: var/rasa.log)"
# scripts/serve.py hands RASA_TOKEN to Rasa inside the process: never on a command line.
python -m scripts.serve --model models/kyphoplasty.tar.gz --endpoints endpoints.yml \
  --credentials var/credentials.yml --port "$RASA_PORT" > var/rasa.log 2>&1 &
pids+=($!)

echo "==> starting the widget's demo page on :$WIDGET_PORT and the staff console on :$CONSOLE_PORT"
python -m bot.widget > var/widget.log 2>&1 &
pids+=($!)
python -m bot.console --port "$CONSOLE_PORT" --no-migrate > var/console.log 2>&1 &
pids+=($!)

echo "==> starting the check-in scheduler (logs: var/checkins.log)"
# due check-ins live in the database: one scheduler is enough, a second is safe (README)
python -m bot.checkins > var/checkins.log 2>&1 &
pids+=($!)

python -m bot.wait_for "http://localhost:$RASA_PORT/status?token=$RASA_TOKEN" \
  "http://localhost:$ACTIONS_PORT/health" "http://localhost:$WIDGET_PORT/healthz" \
  "http://localhost:$CONSOLE_PORT/sign-in" --timeout 180

cat <<MSG

The assistant is running.
  Web chat (demo practice page):  http://localhost:$WIDGET_PORT/
  Staff review console:           http://localhost:$CONSOLE_PORT/
     first create a staff account:  .venv/bin/python -m bot.console.users create --username admin --role admin
  Terminal chat:   ./scripts/chat.sh
  One message:     curl -s localhost:$RASA_PORT/webhooks/rest/webhook \\
                     -H 'Content-Type: application/json' \\
                     -d '{"sender": "demo", "message": "how long is recovery?"}'
  Which answer:    curl -s "localhost:$RASA_PORT/conversations/demo/tracker?token=\$(cat var/rasa_token)"
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
echo "a server stopped; see var/*.log" >&2
exit 1
