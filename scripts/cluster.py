"""The production set-up on one machine: several Rasa servers and action servers
behind nginx, sharing PostgreSQL, Redis (atomic lock store) and RabbitMQ.

    DATABASE_URL=postgresql://... DB_HOST=... DB_PORT=... DB_NAME=... DB_USER=... DB_PASSWORD=... \\
    REDIS_HOST=... REDIS_PORT=6379 REDIS_DB=0 RABBITMQ_HOST=... RABBITMQ_USER=... \\
    RABBITMQ_PASSWORD=... RABBITMQ_QUEUE=... RASA_TOKEN=... ACTION_SERVER_TOKEN=... \\
    REST_TOKEN=... python -m scripts.cluster --rasa-servers 2 --action-servers 2 --port 8000

Clients (the widget, the platforms, the REST channel) use http://HOST:PORT as
they would one Rasa server. One Rasa process per core: a turn is CPU-bound.
`tests/server/test_cluster.py` runs it and checks what a cluster must keep:
every acknowledged message stored once, in order, across servers.
"""
from __future__ import annotations

import argparse
import getpass
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional

from bot.db.migrate import upgrade
from bot.wait_for import free_port, wait_for
from channels.credentials import write as write_credentials

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "kyphoplasty.tar.gz"
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
ENDPOINTS = ROOT / "deploy" / "endpoints.production.yml"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def action_server_command(port: int) -> List[str]:
    return [sys.executable, "-m", "actions.server", "--port", str(port)]


def rasa_server_command() -> List[str]:
    """Our Rasa server; it takes its token from RASA_TOKEN (scripts/serve.py)."""
    return [sys.executable, "-m", "scripts.serve"]


@dataclass
class Cluster:
    url: str
    token: str
    work: Path
    rasa: List[subprocess.Popen]
    rasa_ports: List[int]
    actions: List[subprocess.Popen]
    nginx: subprocess.Popen
    others: List[subprocess.Popen] = field(default_factory=list)

    def stop_rasa(self, index: int) -> None:
        self.rasa[index].send_signal(signal.SIGKILL)
        self.rasa[index].wait()

    def upstream_log(self) -> List[List[str]]:
        """Per request in nginx's access log, the upstream addresses tried, in order
        (the last one answered; the others refused or failed)."""
        log = self.work / "nginx-access.log"
        tried = []
        for line in log.read_text().splitlines() if log.exists() else []:
            parts = line.split(" ", 4)
            if len(parts) == 5:
                tried.append([address.strip() for address in parts[4].split(",") if address.strip()])
        return tried

    def upstreams_used(self) -> Dict[str, int]:
        """How many requests each upstream address answered."""
        counts: Dict[str, int] = {}
        for addresses in self.upstream_log():
            counts[addresses[-1]] = counts.get(addresses[-1], 0) + 1
        return counts

    def diagnosis(self) -> str:
        """What to read when the cluster misbehaves: retried requests, nginx's errors,
        which Rasa servers are still running, and the end of each one's log."""
        retried = [addresses for addresses in self.upstream_log() if len(addresses) > 1]
        lines = [f"requests retried on another server: {retried[:10]}"]
        errors = self.work / "nginx-error.log"
        if errors.exists():
            lines += ["nginx-error.log:", *errors.read_text().splitlines()[-10:]]
        if self.nginx.poll() is not None:
            log = self.work / "nginx-stdout.log"
            lines += [f"nginx exited with {self.nginx.returncode}",
                      *(log.read_text(errors="replace").splitlines()[-5:] if log.exists() else [])]
        for process, port in zip(self.rasa, self.rasa_ports):
            state = "running" if process.poll() is None else f"exited with {process.returncode}"
            log = self.work / f"rasa-{port}.log"
            tail = log.read_text(errors="replace").splitlines()[-8:] if log.exists() else []
            lines += [f"rasa on {port}: {state}", *tail]
        return "\n".join(lines)

    def stop(self) -> None:
        for process in [self.nginx, *self.rasa, *self.actions, *self.others]:
            if process.poll() is None:
                process.terminate()
        for process in [self.nginx, *self.rasa, *self.actions, *self.others]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def nginx_config(work: Path, host: str, port: int, actions_port: int,
                 rasa_ports: List[int], action_ports: List[int]) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in rasa_ports)
    actions = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in action_ports)
    # nginx started by root runs its worker as another user, who could not use `work`
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    text = TEMPLATE.read_text()
    for name, value in {"@USER@": user, "@WORK@": str(work), "@HOST@": host, "@PORT@": str(port),
                        "@ACTIONS_PORT@": str(actions_port), "@RASA_SERVERS@": servers,
                        "@ACTION_SERVERS@": actions}.items():
        text = text.replace(name, value)
    return text


def start_local_production_cluster(work: Path, rasa_servers: int = 2, action_servers: int = 2):
    """The production set-up on this machine's PostgreSQL (a fresh database),
    Redis and RabbitMQ, REST open: for the load test and the benchmark.
    Returns the cluster and the function that stops it and drops the database."""
    from sqlalchemy import create_engine, text

    admin_url = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"kypho_load_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    env = {"DATABASE_URL": database_url, "DB_HOST": "127.0.0.1", "DB_PORT": "5432", "DB_NAME": name,
           "DB_USER": "postgres", "DB_PASSWORD": "", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379",
           "REDIS_DB": "0", "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_USER": "guest",
           "RABBITMQ_PASSWORD": "guest", "RABBITMQ_QUEUE": f"kyphoplasty-load-{name}",
           "RASA_TOKEN": secrets.token_hex(16), "ACTION_SERVER_TOKEN": secrets.token_hex(20),
           "WIDGET_SECRET": secrets.token_urlsafe(48), "WIDGET_ALLOWED_ORIGINS": "http://127.0.0.1:9"}
    def drop_database() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    try:
        cluster = start_cluster(work, env, rasa_servers=rasa_servers, action_servers=action_servers,
                                open_rest=True)  # the load test and the benchmark post to REST
    except BaseException:
        drop_database()
        raise

    def stop() -> None:
        cluster.stop()
        drop_database()

    return cluster, stop


def start_cluster(work: Path, env: Mapping[str, str], rasa_servers: int = 2, action_servers: int = 2,
                  port: Optional[int] = None, host: str = "127.0.0.1",
                  endpoints: Path = ENDPOINTS, open_rest: bool = False) -> Cluster:
    """Starts everything (logs in `work`); the caller stops it with Cluster.stop().
    The REST channel needs REST_TOKEN or REST_CHANNEL=false here (patients use the
    widget and the platforms), unless `open_rest` (the tests and the load test)."""
    work.mkdir(parents=True, exist_ok=True)
    token = env.get("RASA_TOKEN") or ""
    if not token or not env.get("ACTION_SERVER_TOKEN") or not env.get("DATABASE_URL"):
        raise SystemExit("RASA_TOKEN, ACTION_SERVER_TOKEN and DATABASE_URL must be set")
    rest_off = env.get("REST_CHANNEL", "true").lower() in ("0", "false", "no", "off")
    if not open_rest and not rest_off and not env.get("REST_TOKEN"):
        raise SystemExit("set REST_TOKEN (REST then needs 'Authorization: Bearer <token>') or "
                         "REST_CHANNEL=false; --open-rest leaves it open")
    if not os.access(NGINX, os.X_OK):  # before the database is touched
        raise RuntimeError(f"nginx not found at {NGINX}: install it (Debian: apt-get install nginx)")
    port = port or free_port()
    actions_port = free_port()
    rasa_ports = [free_port() for _ in range(rasa_servers)]
    action_ports = [free_port() for _ in range(action_servers)]
    env = {**os.environ, **env, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "3", "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook"}
    upgrade(env["DATABASE_URL"])
    credentials = work / "credentials.yml"
    write_credentials(credentials, env)
    (work / "nginx.conf").write_text(nginx_config(work, host, port, actions_port, rasa_ports, action_ports))

    processes: List[subprocess.Popen] = []

    def started(command: List[str], log: str) -> subprocess.Popen:
        with open(work / log, "ab") as handle:
            processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle,
                                              stderr=subprocess.STDOUT))
        return processes[-1]

    try:
        actions = [started(action_server_command(p), f"actions-{p}.log") for p in action_ports]
        rasa = [started(rasa_server_command() + [
            "--model", str(MODEL), "--endpoints", str(endpoints), "--credentials", str(credentials),
            "--port", str(p)], f"rasa-{p}.log") for p in rasa_ports]
        nginx = started([NGINX, "-p", str(work), "-c", str(work / "nginx.conf"), "-g", "daemon off;"],
                        "nginx-stdout.log")
    except BaseException:  # nothing started may outlive a failed start
        for process in processes:
            process.kill()
            process.wait()
        raise
    cluster = Cluster(f"http://{host}:{port}", token, work, rasa, rasa_ports, actions, nginx)
    urls = ([f"http://127.0.0.1:{p}/status?token={token}" for p in rasa_ports]
            + [f"http://127.0.0.1:{p}/health" for p in action_ports]
            + [f"http://{host}:{port}/webhooks/socketio/"])  # REST may be off
    deadline = time.monotonic() + 300
    while not wait_for(urls, timeout=5):
        if time.monotonic() > deadline or any(p.poll() is not None for p in [nginx, *rasa, *actions]):
            cluster.stop()
            raise RuntimeError(f"cluster did not start; see {work}/*.log\n{cluster.diagnosis()}")
    return cluster


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rasa-servers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--action-servers", type=int, default=2)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "cluster")
    parser.add_argument("--open-rest", action="store_true",
                        help="leave the REST channel open without REST_TOKEN (testing only)")
    args = parser.parse_args(argv)
    os.umask(0o077)  # logs and the credentials file: this user only
    cluster = start_cluster(args.work, os.environ, args.rasa_servers, args.action_servers, args.port, args.host,
                            open_rest=args.open_rest)
    print(f"{args.rasa_servers} Rasa servers and {args.action_servers} action servers behind "
          f"{cluster.url} (logs in {args.work}). Ctrl-C stops them.")
    try:
        while all(p.poll() is None for p in [cluster.nginx, *cluster.rasa, *cluster.actions]):
            time.sleep(1)
        print("a process stopped; see the logs", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
