#!/usr/bin/env bash
# One command to set up and run every test and check. Fails on the first failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
mkdir -p results

# Debian packages the tests need (never a download of our own): Chromium for the
# browser tests, nginx in front of several servers (tests/server/test_cluster.py).
missing=()
[[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]] || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
if (( ${#missing[@]} )); then
  echo "==> installing ${missing[*]} (Debian packages)"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "==> rasa data validate"
rasa data validate --domain domain --fail-on-warnings 2>&1 | grep -v -E "tensorflow/|To enable the following|^\s*$" 

echo "==> NLU evaluation: the held-out set (floor: 90%, no emergency missed) and the blind test sets"
echo "    by the answer catalogue contract (guards in scripts/evaluate_blind.py)"
python -m scripts.evaluate_nlu --out results/nlu --blind tests/blind/test.yaml \
  --blind tests/blind/round2/test.yaml --blind tests/blind/round3/test.yaml \
  --blind tests/blind/round4/test.yaml --blind tests/blind/round5/test.yaml \
  --blind tests/blind/round6/test.yaml --blind tests/blind/round7/test.yaml

echo "==> rasa test: test stories (fails on any prediction error)"
rasa test core --model models/kyphoplasty.tar.gz --stories tests/stories \
  --fail-on-prediction-errors --out results/core 2>&1 \
  | grep -v -E "tensorflow/|To enable the following|^\s*$" 

echo "==> pytest"
python -m pytest "$@"
