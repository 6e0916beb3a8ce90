"""Benchmark (not a test): what the assistant costs, measured in one run.

    python -m scripts.benchmark [--messages 200] [--skip-training] [--baseline-ref COMMIT] [--stock [--stock-ref COMMIT]] [--cluster SERVERS] [--starts 3]

Prints, for the REST webhook (full turn: NLU + dialogue + tracker store) and for
Rasa's /model/parse (NLU only) in the same run: per-message latency p50/p95 and messages a second
at 1, 16 and 50 concurrent conversations, and their ratio (how much of a turn is dialogue
rather than NLU); the Rasa server's cold start (median of a few starts, with the first
message after each against the next nine) and resident memory; the time of
a full training run and a retraining after one answer's wording changed. With `--baseline-ref`, an older commit (its own checkout,
code and model: tests/support/assistant_stack.baseline_tree) is measured the same way in the
same run, and the ratios printed; with `--stock`, so is a stock Rasa bot: this
project's domain and data trained with Rasa's default configuration
(tests/support/assistant_stack.stock_tree), the speed issue's yardstick. It also times every turn of one long
conversation (`--long-turns`, 300) and compares its last ten turns with its
first ten: a turn should not cost more as a conversation grows. Figures, not
pass/fail.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, List, Tuple

import requests
import yaml

from tests.support.assistant_stack import ROOT, Assistant, baseline_tree, domain_args, start_assistant, stock_tree
from tests.support.patient_scripts import CHECKLIST

QUESTIONS = [
    "what is kyphoplasty", "how long is recovery", "is it safe", "will I be asleep",
    "what does the balloon do", "why do I need an MRI", "what are the risks",
    "how much does it cost", "hello", "thank you", "I want to talk to a person",
    "what happens if I don't treat it", "is my mom too old for this", "what is the cement",
]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: List[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# A turn reloads and re-featurises the whole conversation, so its cost grows with
# the conversation's length: measure conversations of a realistic length.
TURNS_PER_CONVERSATION = 10


def conversation_script(number: int) -> List[str]:
    """What conversation `number` says: every other one goes through the screening
    checklist (a form: the action server validates each answer), the others ask
    catalogue questions."""
    if number % 2:
        return CHECKLIST + [QUESTIONS[number % len(QUESTIONS)]]
    return [QUESTIONS[(number + turn) % len(QUESTIONS)] for turn in range(TURNS_PER_CONVERSATION)]


def timed_calls(call: Callable[[str, str], None], conversations: int, messages: int) -> List[float]:
    """Latency in ms of each call; `conversations` run concurrently, each a series
    of fresh conversations of TURNS_PER_CONVERSATION messages."""
    per_worker = max(1, messages // conversations)

    def worker(index: int) -> List[float]:
        latencies = []
        for i in range(per_worker):
            if i % TURNS_PER_CONVERSATION == 0:
                sender = f"bench-{secrets.token_hex(4)}-{index}"
                script = conversation_script(index + i // TURNS_PER_CONVERSATION)
            started = time.perf_counter()
            call(sender, script[i % TURNS_PER_CONVERSATION])
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies

    with ThreadPoolExecutor(max_workers=conversations) as pool:
        return [ms for result in pool.map(worker, range(conversations)) for ms in result]


def time_first_turns(assistant: Assistant) -> List[float]:
    """The first message after a start, then the first messages of nine more
    conversations (server/warm_up.py). Each opens a conversation of its own: a
    conversation's first message always costs more (its session starts, the
    disclaimer follows), start or no start. Each comes from a patient of its
    own, so each opens its own connection: on one kept-alive connection only
    the first would pay for connecting, and the comparison would measure that."""
    first_turns = []
    for conversation in range(10):
        started = time.perf_counter()
        assistant.send(f"bench-first-{conversation}", QUESTIONS[conversation % len(QUESTIONS)],
                       via=requests).raise_for_status()
        first_turns.append((time.perf_counter() - started) * 1000)
    return first_turns


def first_turns_after_start(root: Path) -> Tuple[float, List[float]]:
    """Another start of the same checkout: its cold start and its first turns.
    One start's first message is one sample; a few starts tell a slow first
    turn from a noisy machine."""
    with tempfile.TemporaryDirectory() as work:
        stack = start_assistant(Path(work), root=root)
        assistant = next(stack)
        turns = time_first_turns(assistant)
        stack.close()
    return assistant.startup_seconds, turns


def first_ratio(first_turns: List[float]) -> float:
    """The first message after a start over the median first message of the next nine conversations."""
    return first_turns[0] / statistics.median(first_turns[1:])


def measure(assistant: Assistant, messages: int) -> List[tuple]:
    sessions = {}

    def session() -> requests.Session:  # one keep-alive connection per thread
        import threading

        return sessions.setdefault(threading.get_ident(), requests.Session())

    def webhook(sender: str, text: str) -> None:
        r = session().post(f"{assistant.url}/webhooks/rest/webhook",
                           json={"sender": sender, "message": text}, timeout=60)
        r.raise_for_status()

    def parse(sender: str, text: str) -> None:
        r = session().post(f"{assistant.url}/model/parse", params={"token": assistant.token},
                           json={"text": text}, timeout=60)
        r.raise_for_status()

    assistant.first_turns = time_first_turns(assistant)  # type: ignore[attr-defined]
    for warm in range(20):  # load lazily initialised parts first
        webhook("bench-warmup", QUESTIONS[warm % len(QUESTIONS)])
        parse("bench-warmup", QUESTIONS[warm % len(QUESTIONS)])
    rows = []
    for conversations in (1, 16, 50):
        started = time.perf_counter()
        hook = timed_calls(webhook, conversations, messages)
        rate = len(hook) / (time.perf_counter() - started)  # messages a second, measured
        nlu = timed_calls(parse, conversations, messages)
        rows.append((conversations, hook, nlu, rate))
    return rows


def long_conversation(assistant: Assistant, turns: int) -> List[float]:
    """Latency in ms of each turn of one conversation `turns` messages long."""
    sender = f"bench-long-{secrets.token_hex(4)}"
    latencies = []
    with requests.Session() as session:
        for turn in range(turns):
            started = time.perf_counter()
            r = session.post(f"{assistant.url}/webhooks/rest/webhook", timeout=60,
                             json={"sender": sender, "message": QUESTIONS[turn % len(QUESTIONS)]})
            r.raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def reword_one_answer(data: Path, words: str) -> None:
    """Put `words` before the first answer's text in the data's responses file."""
    for path in sorted(data.rglob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if content.get("responses"):
            first = next(iter(content["responses"].values()))[0]
            first["text"] = f"{words} {first['text']}"
            path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
            return
    raise SystemExit(f"no responses under {data}")


def training_seconds(root: Path = ROOT) -> Tuple[float, float]:
    """A full training, and the median retraining after one answer's wording changed.

    On a copy of the checkout's config, domain and data with a training cache
    of its own: the first `rasa train` starts from an empty cache (a full
    training); then the first answer is reworded and retrained three times."""
    with tempfile.TemporaryDirectory() as work:
        project = Path(work)
        for name in ("config.yml", "domain.yml", "domain", "data"):
            if (root / name).is_dir():
                shutil.copytree(root / name, project / name)
            elif (root / name).exists():
                shutil.copy(root / name, project / name)
        (project / "var").symlink_to(root / "var", target_is_directory=True)  # the spaCy pipeline
        env = {**os.environ, "PYTHONPATH": str(root), "RASA_CACHE_DIRECTORY": str(project / "cache")}

        def train() -> float:
            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "rasa", "train", "--out", "models", *domain_args(project)],
                           cwd=project, env=env, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            return time.monotonic() - started

        full = train()
        retrainings = []
        for words in ("In short:", "Put simply:", "In brief:"):
            reword_one_answer(project / "data", words)
            retrainings.append(train())
        return full, statistics.median(retrainings)


def run_one(root: Path, messages: int, long_turns: int, starts: int = 3) -> dict:
    with tempfile.TemporaryDirectory() as work:
        stack = start_assistant(Path(work), root=root)
        assistant = next(stack)
        idle = rss_mib(assistant.rasa_pid)
        rows = measure(assistant, messages)
        loaded = rss_mib(assistant.rasa_pid)
        first_start = (assistant.startup_seconds, assistant.first_turns)  # type: ignore[attr-defined]
        long = long_conversation(assistant, long_turns) if long_turns else []
        stack.close()
    more = [first_turns_after_start(root) for _ in range(starts - 1)]
    return {"idle": idle, "loaded": loaded, "rows": rows, "long": long, "starts": [first_start] + more}


def first_and_last(long: List[float]) -> tuple:
    """Median of the first and of the last ten turns of the long conversation."""
    return statistics.median(long[:10]), statistics.median(long[-10:])


def report_rows(rows: List[tuple]) -> None:
    print(f"{'conversations':>13} | {'webhook p50':>11} {'p95':>7} | {'/model/parse p50':>16} {'p95':>7} | "
          f"{'webhook/parse p50':>17} | webhook throughput")
    for conversations, hook, nlu, rate in rows:
        h50, h95, n50, n95 = (percentile(hook, 50), percentile(hook, 95),
                              percentile(nlu, 50), percentile(nlu, 95))
        print(f"{conversations:>13} | {h50:>8.1f} ms {h95:>4.1f} ms | {n50:>13.1f} ms {n95:>4.1f} ms | "
              f"{h50 / n50:>16.2f}x | {rate:.1f} messages/s")


def run_cluster(servers: int, messages: int) -> List[tuple]:
    """This checkout as the production set-up: `servers` Rasa processes (and as
    many action servers) behind nginx, PostgreSQL, Redis lock store, RabbitMQ."""
    from scripts.cluster import start_local_production_cluster

    with tempfile.TemporaryDirectory() as work:
        cluster, stop = start_local_production_cluster(Path(work) / "cluster", rasa_servers=servers,
                                                       action_servers=servers)
        try:
            return measure(cluster, messages)  # type: ignore[arg-type]  # url and token, as an Assistant
        finally:
            stop()


def report(name: str, result: dict) -> None:
    print(f"\n== {name}")
    starts = result["starts"]
    startup, first = starts[0]
    print(f"Rasa server cold start (process start to /status ready): {startup:.1f} s; "
          f"median of {len(starts)} starts {statistics.median(s for s, _ in starts):.1f} s")
    print(f"first message after start {first[0]:.0f} ms; the first messages of the next nine "
          f"conversations p50 {statistics.median(first[1:]):.0f} ms "
          f"(first/p50 {first_ratio(first):.1f}x, first/tenth {first[0] / first[-1]:.1f}x)")
    ratios = [first_ratio(turns) for _, turns in starts]
    print(f"first message / next nine's p50, each of {len(starts)} starts: "
          f"{', '.join(f'{r:.2f}x' for r in ratios)}; median {statistics.median(ratios):.2f}x")
    print(f"Rasa server memory (RSS): {result['idle']:.0f} MiB after start, "
          f"{result['loaded']:.0f} MiB after the load below")
    report_rows(result["rows"])
    print(f"({len(result['rows'][0][1])} timed messages per cell, conversations of "
          f"{TURNS_PER_CONVERSATION} messages; mean webhook at 1 conversation "
          f"{statistics.mean(result['rows'][0][1]):.1f} ms)")
    if result["long"]:
        first, last = first_and_last(result["long"])
        print(f"one conversation of {len(result['long'])} turns: turns 1-10 p50 {first:.1f} ms, "
              f"last 10 p50 {last:.1f} ms, last/first {last / first:.2f}x")


def compare(base_name: str, base: dict, new: dict, old_t: float | None, new_t: float | None) -> None:
    """This checkout's figures as ratios of another's, measured in the same run."""
    print(f"\nthis checkout / {base_name} (same run, same machine):")
    for index, (conversations, hook, nlu, rate) in enumerate(new["rows"]):
        _, old_hook, old_nlu, old_rate = base["rows"][index]
        print(f"  {conversations:>2} conversations: webhook p50 {percentile(hook, 50) / percentile(old_hook, 50):.2f}x, "
              f"p95 {percentile(hook, 95) / percentile(old_hook, 95):.2f}x; /model/parse p50 "
              f"{percentile(nlu, 50) / percentile(old_nlu, 50):.2f}x; messages a second {rate / old_rate:.2f}x")
    if new["long"] and base["long"]:
        print(f"  turns 291-300 of one conversation p50 "
              f"{first_and_last(new['long'])[1] / first_and_last(base['long'])[1]:.2f}x")
    def median_first(result: dict) -> float:
        return statistics.median(turns[0] for _, turns in result["starts"])

    def median_start(result: dict) -> float:
        return statistics.median(seconds for seconds, _ in result["starts"])

    print(f"  first message after start {median_first(new) / median_first(base):.2f}x "
          f"(medians of {len(new['starts'])} starts)")
    print(f"  memory after load {new['loaded'] / base['loaded']:.2f}x; cold start "
          f"{median_start(new) / median_start(base):.2f}x (medians)")
    if old_t and new_t:
        print(f"  full training {new_t / old_t:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="messages per measurement")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--baseline-ref", default=None, help="a git commit to measure side by side")
    parser.add_argument("--stock", action="store_true",
                        help="also measure this project's data trained with Rasa's default configuration")
    parser.add_argument("--stock-ref", default="HEAD",
                        help="the commit whose domain and data the stock bot is trained on (its training is slow)")
    parser.add_argument("--long-turns", type=int, default=300, help="turns of the long conversation (0: skip)")
    parser.add_argument("--starts", type=int, default=3,
                        help="starts of each assistant for the cold start and the first message (medians)")
    parser.add_argument("--cluster", type=int, default=0, metavar="SERVERS",
                        help="also measure this checkout as the production set-up with SERVERS Rasa "
                             "processes behind nginx (PostgreSQL, Redis, RabbitMQ on this machine)")
    args = parser.parse_args()

    roots = {"this checkout": ROOT}
    if args.baseline_ref:
        roots = {f"baseline {args.baseline_ref}": baseline_tree(args.baseline_ref), **roots}
    stock = stock_tree(args.stock_ref) if args.stock else None
    if stock:
        roots = {"stock Rasa (default configuration)": stock, **roots}
    results = {name: run_one(root, args.messages, args.long_turns, args.starts) for name, root in roots.items()}
    for name, result in results.items():
        report(name, result)
    # The stock bot's default training is slow: its full training is the one
    # stock_tree timed, on this machine but not in this run, and it is not reworded.
    figures = {} if args.skip_training else {
        name: (float((root / "models" / ".train_seconds").read_text()), None) if root == stock
        else training_seconds(root) for name, root in roots.items()}
    trained = {name: full for name, (full, _) in figures.items()}
    reworded = {name: again for name, (_, again) in figures.items() if again is not None}
    for name, seconds in trained.items():
        print(f"\nFull training of {name} (rasa train from an empty cache, NLU + dialogue): {seconds:.0f} s")
    for name, seconds in reworded.items():
        print(f"Retraining of {name} after one answer's wording changed (cache warm, median of 3): "
              f"{seconds:.1f} s")

    names = list(results)
    this = names[-1]
    if args.cluster:
        cluster_rows = run_cluster(args.cluster, args.messages)
        print(f"\n== this checkout, {args.cluster} Rasa processes behind nginx (PostgreSQL, Redis lock store)")
        report_rows(cluster_rows)
        for base_name in names:
            ratios = ", ".join(f"{conversations} conversations {rate / base_rate:.2f}x"
                               for (conversations, _, _, rate), (_, _, _, base_rate)
                               in zip(cluster_rows, results[base_name]["rows"]))
            print(f"  messages a second, against {base_name} (one process): {ratios}")
    for base_name in names[:-1]:
        compare(base_name, results[base_name], results[this],
                trained.get(base_name), trained.get(this))
        if base_name in reworded:
            print(f"  retraining after a wording change {reworded[this] / reworded[base_name]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
