"""The API token and the action server's secret never appear on a command line
(`ps` and /proc/PID/cmdline are readable by every user of the machine)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.server


def test_no_secret_on_any_command_line_of_the_running_assistant(assistant):
    action_secret = None
    command_lines = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command_lines.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    environment = Path(f"/proc/{assistant.rasa_pid}/environ").read_bytes().split(b"\0")
    for entry in environment:
        if entry.startswith(b"ACTION_SERVER_TOKEN="):
            action_secret = entry.split(b"=", 1)[1].decode()
    rasa = Path(f"/proc/{assistant.rasa_pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    assert "scripts.serve" in rasa and "--port" in rasa  # it is the process we think
    assert action_secret
    assert not [line for line in command_lines if assistant.token in line or action_secret in line]
