"""Two Rasa servers and two action servers behind nginx, on PostgreSQL, Redis
(atomic lock store) and RabbitMQ: the production set-up (scripts/cluster.py).

Measured before on Rasa's own RedisLockStore: 100 messages for one conversation
spread over two servers, all acknowledged, 84 stored, some out of order.
"""
from __future__ import annotations

import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterator, List

import pytest
import redis
import requests
import socketio
from sqlalchemy import create_engine, text

from bot.widget import tokens
from scripts.cluster import Cluster, start_cluster
from tests.channels.test_redelivery import RECOVERY
from tests.server.conftest import production_env, require_services

pytestmark = [pytest.mark.server, pytest.mark.postgres]

CLIENTS, PER_CLIENT = 4, 25  # 100 messages, four in flight at once


@pytest.fixture(scope="module")
def cluster(module_postgres_url, tmp_path_factory) -> Iterator[Cluster]:
    """One cluster for this module; the last test stops one of its servers."""
    require_services()
    postgres_url = module_postgres_url
    widget = "http://127.0.0.1:9"  # the widget page's origin (no server needed for the socket)
    env = {**production_env(postgres_url, f"kyphoplasty-cluster-{secrets.token_hex(4)}"),
           "DATABASE_URL": postgres_url, "RASA_TOKEN": secrets.token_hex(16),
           "ACTION_SERVER_TOKEN": secrets.token_hex(20), "WIDGET_SECRET": secrets.token_urlsafe(48),
           "WIDGET_ALLOWED_ORIGINS": widget, "CARE_TEAM_PHONE": "(212) 736-5000"}
    running = start_cluster(tmp_path_factory.mktemp("cluster"), env, open_rest=True)
    running.env = env  # type: ignore[attr-defined]
    try:
        yield running
    finally:
        running.stop()


def tracker_events(cluster: Cluster, sender: str) -> List[Dict[str, Any]]:
    response = requests.get(f"{cluster.url}/conversations/{sender}/tracker",
                            params={"token": cluster.token}, timeout=30)
    response.raise_for_status()
    return response.json()["events"]


def test_100_messages_for_one_conversation_over_two_servers_stored_once_in_order(cluster):
    sender = f"cluster-{secrets.token_hex(4)}"

    def client(number: int) -> List[int]:
        statuses = []
        with requests.Session() as session:
            for turn in range(PER_CLIENT):
                response = session.post(f"{cluster.url}/webhooks/rest/webhook", timeout=120, json={
                    "sender": sender, "message": f"how long is recovery c{number} t{turn}"})
                statuses.append(response.status_code)
        return statuses

    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = [s for result in pool.map(client, range(CLIENTS)) for s in result]
    assert statuses.count(200) == CLIENTS * PER_CLIENT, statuses
    used = [address for address in cluster.upstreams_used()
            if any(address.endswith(f":{p}") for p in cluster.rasa_ports)]
    assert len(used) == 2, (f"both Rasa servers should have taken messages: {cluster.upstreams_used()}\n"
                            f"{cluster.diagnosis()}")

    events = tracker_events(cluster, sender)
    texts = [e["text"] for e in events if e["event"] == "user"]
    assert sorted(texts) == sorted(f"how long is recovery c{c} t{t}"
                                   for c in range(CLIENTS) for t in range(PER_CLIENT)), "lost or doubled"
    for number in range(CLIENTS):  # each client's messages in the order it sent them
        mine = [t for t in texts if t.startswith(f"how long is recovery c{number} ")]
        assert mine == [f"how long is recovery c{number} t{t}" for t in range(PER_CLIENT)]
    # every question is followed by its own answer before the next question
    kinds = [e["event"] for e in events if e["event"] in ("user", "bot")]
    turns = "".join("u" if kind == "user" else "b" for kind in kinds)
    assert "uu" not in turns and turns.startswith("u"), turns

    engine = create_engine(cluster.env["DATABASE_URL"])  # type: ignore[attr-defined]
    with engine.connect() as connection:
        stored = connection.execute(text(
            "select count(*) from events where sender_id = :s and type_name = 'user'"), {"s": sender}).scalar()
    engine.dispose()
    assert stored == CLIENTS * PER_CLIENT


def test_redis_paused_delays_turns_and_loses_none(cluster):
    """The lock store unreachable for 4 s while 8 messages arrive: each is answered
    late or refused with a 503 to retry; every acknowledged one is stored once."""
    sender = f"paused-{secrets.token_hex(4)}"
    redis.Redis(host="127.0.0.1", port=6379).execute_command("CLIENT", "PAUSE", 4000, "ALL")

    def send(number: int) -> int:
        response = requests.post(f"{cluster.url}/webhooks/rest/webhook", timeout=120,
                                 json={"sender": sender, "message": f"what is kyphoplasty n{number}"})
        return response.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(send, range(8)))
    assert set(statuses) <= {200, 503}, statuses
    acknowledged = [f"what is kyphoplasty n{n}" for n, status in enumerate(statuses) if status == 200]
    texts = [e["text"] for e in tracker_events(cluster, sender) if e["event"] == "user"]
    assert sorted(texts) == sorted(acknowledged), (statuses, texts)


def test_a_widget_conversation_survives_its_server_being_stopped(cluster):
    env = cluster.env  # type: ignore[attr-defined]
    session_id, token = tokens.issue(env["WIDGET_SECRET"])
    conversation = tokens.conversation_id(env["WIDGET_SECRET"], session_id)

    async def say(message: str, message_id: str) -> List[str]:
        client = socketio.AsyncClient(reconnection=False)
        replies: List[str] = []
        client.on("bot_uttered", lambda data: replies.append(data["text"]))
        await client.connect(cluster.url, headers={"Origin": env["WIDGET_ALLOWED_ORIGINS"]},
                             transports=["polling"])
        try:
            assert (await client.call("session_request", {"session_id": session_id, "token": token},
                                      timeout=60))["ok"]
            ack = await client.call("user_uttered", {"message": message, "message_id": message_id}, timeout=120)
            assert ack["ok"], ack
            await asyncio.sleep(0.5)
        finally:
            # dropped, not closed politely: that waits out the server's long poll (30 s)
            await client.eio.disconnect(abort=True)
        return replies

    assert asyncio.run(say(RECOVERY, "m1"))
    socket_upstreams = {address for address in cluster.upstreams_used()
                        if any(address.endswith(f":{p}") for p in cluster.rasa_ports)}
    serving = [i for i, p in enumerate(cluster.rasa_ports) if any(a.endswith(f":{p}") for a in socket_upstreams)]
    for index in serving:  # the server this browser was on goes away
        cluster.stop_rasa(index)
        break
    assert asyncio.run(say("what is kyphoplasty?", "m2"))
    texts = [e["text"] for e in tracker_events(cluster, conversation) if e["event"] == "user"]
    assert texts == [RECOVERY, "what is kyphoplasty?"]


def live_children() -> List[int]:
    """Processes this test process started that are still running (not zombies)."""
    import os
    from pathlib import Path

    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            children.append(int(stat.parent.name))
    return children


def test_a_cluster_that_fails_to_start_leaves_no_server_running(tmp_path, monkeypatch):
    # Seen: nginx missing, the Rasa and action servers already started kept running.
    import scripts.cluster

    before = set(live_children())
    monkeypatch.setattr(scripts.cluster, "rasa_server_command", lambda *_: ["/nonexistent/rasa"])
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "RASA_TOKEN": secrets.token_hex(16),
           "ACTION_SERVER_TOKEN": secrets.token_hex(20)}
    with pytest.raises(FileNotFoundError):
        start_cluster(tmp_path / "work", env, open_rest=True)  # the action servers start first
    assert set(live_children()) - before == set()

    monkeypatch.setattr(scripts.cluster, "NGINX", str(tmp_path / "no-nginx"))
    with pytest.raises(RuntimeError, match="nginx not found"):
        start_cluster(tmp_path / "work", env, open_rest=True)
