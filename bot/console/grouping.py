"""Grouping questions by meaning: greedy leader clustering on unit sentence embeddings.

Each question joins the group whose centroid (the direction of the sum of its
members' embeddings) is most similar to it, if that cosine similarity reaches
the threshold; otherwise it starts a group of its own. Groups that already exist
are passed in as their sums and come first, so a refresh only places the new
questions: a group keeps its id, its members and the status a clinician gave it
when questions arrive, whatever order the page is loaded in.

Why this and not agglomerative clustering (scikit-learn's AgglomerativeClustering,
average linkage, cosine distance threshold), measured on generated questions with
a known grouping (`python -m bot.console.gap_benchmark`, docs/design.md): both
group about as well, but agglomerative needs the n x n distance matrix (400 MB of
float64 for 10,000 questions) and regroups everything from scratch, so its groups
(and a clinician's statuses) would not survive new questions. The leader pass is
O(questions x groups) matrix-vector products in NumPy and needs no new
dependency; its known weakness, order dependence, is reduced by visiting
questions oldest first (a group's first member is the question the clinician
saw first) and by the centroid moving to the mean as members join.
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def assign(embeddings: np.ndarray, sums: Optional[np.ndarray] = None,
           threshold: float = 0.65) -> Tuple[np.ndarray, np.ndarray]:
    """Places each embedding (rows, unit length) in a group, in the order given.

    `sums` holds the existing groups (one row each: the sum of their members'
    embeddings), which keep their row numbers. Returns each embedding's group row
    and the updated sums: the existing groups first, then the new ones.
    """
    embeddings = np.asarray(embeddings, dtype=np.float32)
    count, dimension = embeddings.shape if embeddings.ndim == 2 else (0, 0)
    if sums is None or len(sums) == 0:
        sums = np.zeros((0, dimension or 1), dtype=np.float32)
        dimension = dimension or 1
    existing = len(sums)
    dimension = sums.shape[1] if existing else dimension
    all_sums = np.zeros((existing + count, dimension), dtype=np.float32)
    all_sums[:existing] = sums
    centroids = np.zeros_like(all_sums)
    centroids[:existing] = unit_rows(all_sums[:existing]) if existing else all_sums[:0]
    groups = existing
    labels = np.empty(count, dtype=np.int64)
    for index in range(count):
        vector = embeddings[index]
        if groups:
            similarities = centroids[:groups] @ vector
            best = int(np.argmax(similarities))
            if similarities[best] >= threshold:
                labels[index] = best
                all_sums[best] += vector
                centroids[best] = all_sums[best] / max(float(np.linalg.norm(all_sums[best])), 1e-12)
                continue
        all_sums[groups] = vector
        centroids[groups] = vector
        labels[index] = groups
        groups += 1
    return labels, all_sums[:groups]


def agglomerative(embeddings: np.ndarray, threshold: float = 0.65) -> np.ndarray:
    """The alternative measured against `assign`: average-linkage agglomerative
    clustering that merges while the mean cosine similarity is at least `threshold`
    (scikit-learn; for the benchmark and the comparison test only)."""
    from sklearn.cluster import AgglomerativeClustering

    embeddings = np.asarray(embeddings, dtype=np.float32)
    if len(embeddings) < 2:
        return np.zeros(len(embeddings), dtype=np.int64)
    model = AgglomerativeClustering(n_clusters=None, distance_threshold=1.0 - threshold,
                                    affinity="cosine", linkage="average")
    return model.fit_predict(embeddings)
