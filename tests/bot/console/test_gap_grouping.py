"""Grouping unanswered questions by meaning (bot/console/grouping.py) with the real
sentence encoder, on generated questions whose true grouping is known
(bot/console/gap_samples.py: twelve topics, several wordings each).

The bars come from measurement (docs/design.md, `python -m bot.console.gap_benchmark`):
at the console's threshold the leader pass reaches an adjusted Rand index of about
0.47-0.50 against the twelve topics and a homogeneity of 0.90-0.95 (a group's questions
are nearly always one topic; the misses are topics this encoder hardly tells apart,
such as "how long does the operation take" and "how long is the waiting list").
A grouping by chance, everything in one group, or every question alone scores an
ARI near 0, so ARI >= 0.35 with homogeneity >= 0.85 fails for a broken encoder, a
wrong threshold or a broken assignment, and passes for what was measured.
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, homogeneity_score

from bot.console import gap_samples, grouping
from bot.settings import ConsoleSettings, VAR_DIR

THRESHOLD = ConsoleSettings(secret_key="x").gap_similarity


@pytest.fixture(scope="module")
def encoder():
    from components.sentence_encoder import shared_encoder

    model = VAR_DIR / "models" / "all-MiniLM-L6-v2"
    if not (model / "encoder.onnx").exists():
        pytest.fail(f"no sentence encoder at {model} (run scripts/setup.sh)")
    return shared_encoder(str(model))


@pytest.fixture(scope="module")
def sample(encoder):
    pairs = gap_samples.questions(480, seed=21)
    texts, topics = [t for t, _ in pairs], [topic for _, topic in pairs]
    return texts, topics, encoder.encode(texts)


def test_questions_group_by_meaning(sample):
    texts, topics, embeddings = sample
    labels, sums = grouping.assign(embeddings, None, THRESHOLD)
    assert len(labels) == len(texts) and len(sums) == labels.max() + 1
    assert adjusted_rand_score(topics, labels) >= 0.35
    assert homogeneity_score(topics, labels) >= 0.85
    # far fewer groups than questions, at least as many as the topics it could tell apart
    assert 8 <= len(sums) <= 60


def test_the_same_question_reworded_lands_in_one_group(encoder):
    asked = ["How much does kyphoplasty cost?", "hi, how much does kyphoplasty cost?? thanks",
             "how much does kyphoplasty cost please", "Where do we park at the hospital?",
             "where do we park at the hospital thank you"]
    labels, _ = grouping.assign(encoder.encode(asked), None, THRESHOLD)
    assert labels[0] == labels[1] == labels[2] and labels[3] == labels[4] and labels[0] != labels[3]


def test_existing_groups_keep_their_rows_and_new_questions_join_them(sample):
    texts, topics, embeddings = sample
    first, later = embeddings[:300], embeddings[300:]
    labels, sums = grouping.assign(first, None, THRESHOLD)
    again, grown = grouping.assign(later, sums, THRESHOLD)
    # the earlier groups are the first rows, in order, and only grow
    assert len(grown) >= len(sums)
    norms_before, norms_after = np.linalg.norm(sums, axis=1), np.linalg.norm(grown[:len(sums)], axis=1)
    assert np.all(norms_after >= norms_before - 1e-4)
    # most later questions join a group that already existed: their topics were seen before
    assert np.mean(again < len(sums)) >= 0.8
    # and placing them later groups about as well as placing everything at once
    combined = np.concatenate([labels, again])
    assert adjusted_rand_score(topics, combined) >= 0.35


def test_leader_grouping_is_as_good_as_agglomerative_clustering(sample):
    """The alternative it was chosen over (docs/design.md) does not group clearly better."""
    _, topics, embeddings = sample
    leader, _ = grouping.assign(embeddings, None, THRESHOLD)
    agglomerative = grouping.agglomerative(embeddings, THRESHOLD)
    assert adjusted_rand_score(topics, leader) >= adjusted_rand_score(topics, agglomerative) - 0.1


def test_nothing_to_group():
    labels, sums = grouping.assign(np.zeros((0, 384), dtype=np.float32), None, THRESHOLD)
    assert len(labels) == 0 and len(sums) == 0
