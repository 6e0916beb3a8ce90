"""The Rasa server never runs at debug level: Rasa then logs every message's
text and parse, which are health data (scripts/serve.py refuses to start)."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from tests.support.assistant_stack import ROOT


@pytest.mark.parametrize("args, env", [
    (["--debug"], {}),
    (["-vv"], {}),
    ([], {"LOG_LEVEL": "debug"}),
])
def test_the_server_refuses_to_start_at_debug_level(args, env):
    completed = subprocess.run(
        [sys.executable, "-m", "scripts.serve", *args, "--port", "9"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "RASA_TOKEN": secrets.token_hex(16), **env}, timeout=60)
    assert completed.returncode != 0
    assert "debug level" in completed.stderr
