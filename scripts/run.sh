#!/usr/bin/env bash
# One command to set up and run the assistant on embedded defaults (SQLite, no
# external server): action server on :5055, Rasa server on :5005 (REST channel,
# HTTP API with a token). Ctrl-C stops everything.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"

RASA_PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
# The HTTP API token: from the environment, else one generated for this machine
# and kept (readable by this user only) in var/rasa_token.
if [[ -z "${RASA_TOKEN:-}" ]]; then
  if [[ ! -s var/rasa_token ]]; then
    (umask 077; python -c 'import secrets; print(secrets.token_urlsafe(24))' > var/rasa_token)
  fi
  RASA_TOKEN="$(cat var/rasa_token)"
fi
export RASA_TOKEN RASA_URL="http://localhost:$RASA_PORT"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

echo "==> starting the action server on :$ACTIONS_PORT"
rasa run actions --actions actions --port "$ACTIONS_PORT" > var/actions.log 2>&1 &
pids+=($!)

echo "==> starting the Rasa server on :$RASA_PORT (logs: var/rasa.log)"
rasa run --model models/kyphoplasty.tar.gz --endpoints endpoints.yml \
  --credentials credentials.yml --port "$RASA_PORT" \
  --enable-api --auth-token "$RASA_TOKEN" > var/rasa.log 2>&1 &
pids+=($!)

python -m bot.wait_for "http://localhost:$RASA_PORT/status?token=$RASA_TOKEN" \
  "http://localhost:$ACTIONS_PORT/health" --timeout 120

cat <<MSG

The assistant is running.
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
