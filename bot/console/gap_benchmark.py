"""Benchmark (not a test): grouping unanswered questions for the content-gap queue.

    python -m bot.console.gap_benchmark [--questions 10000] [--quality 2000] [--skip-agglomerative]

Prints, on generated questions with a known grouping (bot/console/gap_samples.py,
twelve topics): the grouping quality (adjusted Rand index, homogeneity,
completeness, number of groups) of the leader pass the console uses and of
scikit-learn's agglomerative clustering (average linkage, cosine), at several
thresholds; the time of each on all the questions' embeddings; and the console's
whole path, `gap_queue.refresh` on a scratch SQLite database holding the
questions as Rasa tracker events (read the events, encode, group, store), first
for all of them, then for 100 more arriving later. Figures, not pass/fail.
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--quality", type=int, default=2_000, help="questions for the quality table")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--skip-agglomerative", action="store_true",
                        help="skip agglomerative clustering of all questions (it needs ~1 GB)")
    args = parser.parse_args()

    import numpy as np
    from sklearn.metrics import adjusted_rand_score, homogeneity_completeness_v_measure

    from bot.console import gap_queue, gap_samples, grouping
    from bot.settings import ConsoleSettings
    from components.sentence_encoder import shared_encoder

    settings = ConsoleSettings(secret_key="bench" * 10)
    encoder = shared_encoder(str(settings.encoder_dir))
    pairs = gap_samples.questions(args.questions, seed=args.seed)
    texts, topics = [t for t, _ in pairs], [topic for _, topic in pairs]
    distinct = sorted({t.lower() for t in texts})
    encoder.encode(distinct[:20])  # warm up
    started = time.perf_counter()
    embeddings = gap_queue.embed(encoder.encode, texts)
    encode_seconds = time.perf_counter() - started
    print(f"{len(texts)} questions, {len(distinct)} distinct wordings, 12 topics (seed {args.seed})")
    print(f"encoding the distinct wordings: {encode_seconds:.1f}s "
          f"({encode_seconds / len(distinct) * 1000:.1f} ms each; all {len(texts)} distinct would take "
          f"~{encode_seconds / len(distinct) * len(texts):.0f}s)")

    def quality(labels, truth):
        h, c, _ = homogeneity_completeness_v_measure(truth, labels)
        ari = adjusted_rand_score(truth, labels)
        return f"ARI {ari:.3f}  hom {h:.3f}  compl {c:.3f}  groups {int(np.max(labels)) + 1:4d}"

    subset = random.Random(args.seed).sample(range(len(texts)), min(args.quality, len(texts)))
    subset.sort()
    sub_embeddings, sub_topics = embeddings[subset], [topics[i] for i in subset]
    print(f"\nquality on {len(subset)} questions (threshold = minimum cosine similarity to join)")
    for threshold in (0.55, 0.6, 0.65, 0.7, 0.75):
        leader, _ = grouping.assign(sub_embeddings, None, threshold)
        agglomerative = grouping.agglomerative(sub_embeddings, threshold)
        marker = "  <- console default" if abs(threshold - settings.gap_similarity) < 1e-9 else ""
        print(f"  {threshold:.2f} leader        {quality(leader, sub_topics)}{marker}")
        print(f"  {threshold:.2f} agglomerative {quality(agglomerative, sub_topics)}")

    threshold = settings.gap_similarity
    started = time.perf_counter()
    leader, sums = grouping.assign(embeddings, None, threshold)
    print(f"\nall {len(texts)} questions at {threshold}: leader {time.perf_counter() - started:.2f}s, "
          f"{quality(leader, topics)}")
    half = len(texts) // 2
    first, first_sums = grouping.assign(embeddings[:half], None, threshold)
    later, _ = grouping.assign(embeddings[half:], first_sums, threshold)
    print(f"  the same in two halves (the second joining the first's groups): "
          f"{quality(np.concatenate([first, later]), topics)}")
    if not args.skip_agglomerative:
        started = time.perf_counter()
        agglomerative = grouping.agglomerative(embeddings, threshold)
        print(f"  agglomerative {time.perf_counter() - started:.2f}s, {quality(agglomerative, topics)}")

    refresh_benchmark(texts, encoder, threshold, args.seed)


def refresh_benchmark(texts, encoder, threshold: float, seed: int) -> None:
    """The console's whole path on a scratch SQLite database."""
    from sqlalchemy import func, select

    from bot.console import gap_queue, gap_samples
    from bot.db.migrate import upgrade
    from bot.db.session import get_engine

    rng = random.Random(seed)
    now = time.time()
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{Path(work) / 'gaps.db'}"
        upgrade(url)
        engine = get_engine(url)
        with engine.begin() as connection:
            gap_samples.insert_questions(connection, [
                (f"bench-{i}", now - rng.uniform(0, 30 * 86400), text) for i, text in enumerate(texts)])
        started = time.perf_counter()
        placed, _ = gap_queue.refresh(engine, encoder.encode, threshold)
        first = time.perf_counter() - started
        with engine.begin() as connection:
            groups = connection.execute(select(func.count()).select_from(gap_queue.gap_groups)).scalar()
            more = gap_samples.questions(100, seed=seed + 1)
            gap_samples.insert_questions(connection, [(f"later-{i}", now, t) for i, (t, _) in enumerate(more)])
        started = time.perf_counter()
        later, _ = gap_queue.refresh(engine, encoder.encode, threshold)
        second = time.perf_counter() - started
        started = time.perf_counter()
        gap_queue.refresh(engine, encoder.encode, threshold)
        idle = time.perf_counter() - started
        with engine.connect() as connection:
            started = time.perf_counter()
            gap_queue.queue(connection, "open", 1, 50)
            page = time.perf_counter() - started
        engine.dispose()
    print(f"\nconsole refresh on SQLite: {placed} questions read from events, encoded, grouped and stored "
          f"in {first:.1f}s ({groups} groups); {later} more later in {second:.2f}s; "
          f"nothing new {idle * 1000:.0f} ms; one page of 50 groups {page * 1000:.0f} ms")


if __name__ == "__main__":
    main()
