"""What a running Rasa server holds: nothing it never uses (docs/design.md, "Memory")."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.server


def mapped_files(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def test_the_server_never_loads_jax(assistant):
    # TensorFlow imports JAX, when installed, for its TFLite converter: 65 MiB a process.
    assert "site-packages/tensorflow" in mapped_files(assistant.rasa_pid)  # it is Rasa's process
    assert "jaxlib" not in mapped_files(assistant.rasa_pid)


def test_the_encoder_weights_are_mapped_from_their_file(assistant):
    # ONNX Runtime maps the weights beside the graph instead of holding a copy.
    assert "all-MiniLM-L6-v2/encoder.weights" in mapped_files(assistant.rasa_pid)
