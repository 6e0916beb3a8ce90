"""`rasa run` with the HTTP API token taken from the environment.

    RASA_TOKEN=... python -m scripts.serve --model M --endpoints E --credentials C --port P

Rasa reads its API token only from `--auth-token`, and a command line is
visible to every user of the machine (`ps`, /proc/PID/cmdline). This entry
point puts the token from `RASA_TOKEN` into Rasa's arguments inside the
process, so it never appears on a command line; `--enable-api` comes with it.
It also installs server/action_failures.py (a form whose action server is down
asks its question again instead of answering nothing) and server/button_payloads.py
(the `/intent{...}` syntax only for buttons the assistant offered) and
server/warm_up.py (the first message after a start as fast as the tenth) and
server/turn_costs.py (checks stock Rasa repeats every turn, done once) and
server/graph_runner.py (the prediction graph run in a fixed order, without dask) and
server/policy_costs.py (past states and rule lookup, not redone on every call) and
server/event_logs.py (the event brokers log no words of a conversation), and keeps
JAX, which TensorFlow would import for nothing, out of the process.
It never runs at debug level: Rasa then logs each message's text and its
parse (`processor.message.parse`) and the tracker's events, which are health
data and never belong in application logs.
"""
from __future__ import annotations

import os
import sys


def main() -> None:
    token = os.environ.get("RASA_TOKEN", "")
    if not token or token.startswith("-"):
        sys.exit("RASA_TOKEN must be set (and may not start with '-'): the HTTP API is never open")
    if any(arg.startswith("--auth-token") for arg in sys.argv[1:]):
        sys.exit("pass the token in RASA_TOKEN, not on the command line")
    if any(arg in ("--debug", "-vv") for arg in sys.argv[1:]) or os.environ.get("LOG_LEVEL", "").upper() == "DEBUG":
        sys.exit("the server does not run at debug level: Rasa would log patients' messages")
    sys.argv = ["rasa", "run", *sys.argv[1:], "--enable-api", f"--auth-token={token}"]
    # TensorFlow requires JAX and imports it for its TFLite converter, which Rasa
    # never uses: 65 MiB of every Rasa process. Blocked, `import jax` raises
    # ImportError, which TensorFlow expects when JAX is not installed.
    sys.modules.setdefault("jax", None)
    from rasa.__main__ import main as rasa_main

    from server import action_failures, button_payloads, event_logs, graph_runner, policy_costs, turn_costs, warm_up

    action_failures.install()
    button_payloads.install()
    warm_up.install()
    turn_costs.install()
    graph_runner.install()
    policy_costs.install()
    event_logs.install()

    rasa_main()


if __name__ == "__main__":
    main()
