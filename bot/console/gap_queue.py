"""The content-gap queue: what patients asked that the document does not cover.

A question is a patient message whose reply was `utter_not_covered` or
`utter_not_sure` (read from the bot event's `metadata.utter_action`, the answer
catalogue contract). `refresh()` finds the questions asked since it last ran
(a watermark on Rasa's `events` ids, as the conversation summaries keep, with a
look-back for events committed out of id order), embeds them with the sentence
encoder the assistant already has and places them with `grouping.assign` among
the groups that exist: a group keeps its id and a clinician's status for it when
new questions arrive, and a question never moves once placed.

Only the event id, time, reply kind and embedding are stored; the text stays in
Rasa's `events` and is read (and masked) when shown, so erasing a conversation
there leaves no copy of it here. Erasure and retention delete a conversation's
question rows too; the next refresh recomputes the sums of groups that lost
members and drops groups left empty, so no centroid outlives its questions.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.console import grouping
from bot.console.events import FALLBACK, NOT_COVERED, events, events_table_exists, parse, utter_action
from bot.console.summaries import read_watermark, write_watermark
from bot.db.models import ContentGapGroup, ContentGapQuestion, utc_now

logger = logging.getLogger(__name__)

gap_groups = ContentGapGroup.__table__
gap_questions = ContentGapQuestion.__table__

REPLY_KINDS = {NOT_COVERED: "not_covered", FALLBACK: "not_sure"}
STATUSES = ("open", "answer_needed", "out_of_scope", "done")
STATUS_LABELS = {"open": "Not triaged", "answer_needed": "Answer needed", "out_of_scope": "Out of scope",
                 "done": "Done"}
WATERMARK = "content_gaps_watermark"
LOOKBACK = 500
CHUNK = 300
DAY = 86400.0
TREND_DAYS = 7
EXAMPLES = 3

Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass
class Question:
    event_id: int
    sender_id: str
    asked_at: float
    text: str
    reply_kind: str


def unanswered(rows: Iterable) -> List[Question]:
    """The user messages answered with not_covered or not_sure, from one or more
    conversations' user and bot events in id order (per conversation)."""
    found: List[Question] = []
    last: Dict[str, Optional[Question]] = {}
    for row in rows:
        event = parse(row.data)
        if row.type_name == "user":
            text = " ".join(str(event.get("text") or "").split())
            ts = row.timestamp if row.timestamp is not None else event.get("timestamp")
            # a button's payload ("/affirm") is no question
            last[row.sender_id] = (Question(row.id, row.sender_id, float(ts), text, "")
                                   if text and not text.startswith("/") and ts is not None else None)
        elif row.type_name == "bot":
            question = last.get(row.sender_id)
            kind = REPLY_KINDS.get(utter_action(event) or "")
            if question is not None and kind:
                question.reply_kind = kind
                found.append(question)
                last[row.sender_id] = None  # one reply kind per question
    return found


def _vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)


def _blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def new_questions(connection: Connection, since: int) -> List[Question]:
    """Unanswered questions in conversations with events after `since` not yet placed."""
    senders = connection.execute(
        select(events.c.sender_id).where(events.c.id > since).distinct()).scalars().all()
    found: List[Question] = []
    for start in range(0, len(senders), CHUNK):
        chunk = list(senders[start:start + CHUNK])
        rows = connection.execute(
            select(events.c.id, events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data)
            .where(events.c.sender_id.in_(chunk), events.c.type_name.in_(("user", "bot")))
            .order_by(events.c.sender_id, events.c.id)).all()
        candidates = unanswered(rows)
        placed = set()
        ids = [q.event_id for q in candidates]
        for id_start in range(0, len(ids), CHUNK):
            placed.update(connection.execute(select(gap_questions.c.event_id).where(
                gap_questions.c.event_id.in_(ids[id_start:id_start + CHUNK]))).scalars())
        found.extend(q for q in candidates if q.event_id not in placed)
    found.sort(key=lambda q: (q.asked_at, q.event_id))
    return found


def embed(encode: Encode, texts: Sequence[str]) -> np.ndarray:
    """One embedding per text; a text asked many times is encoded once."""
    keys = [text.lower() for text in texts]
    unique = sorted(set(keys))
    if not unique:
        return np.zeros((0, 1), dtype=np.float32)
    vectors = np.asarray(encode(unique), dtype=np.float32)
    row = {key: index for index, key in enumerate(unique)}
    return vectors[[row[key] for key in keys]]


def prune(connection: Connection) -> int:
    """Recomputes the sums of groups that lost questions (erasure, retention) and
    deletes groups left empty. Returns how many groups changed."""
    counts = dict(connection.execute(
        select(gap_questions.c.group_id, func.count()).group_by(gap_questions.c.group_id)).all())
    changed = 0
    for group_id, members in connection.execute(select(gap_groups.c.id, gap_groups.c.members)).all():
        left = int(counts.get(group_id, 0))
        if left == members:
            continue
        changed += 1
        if left == 0:
            connection.execute(delete(gap_groups).where(gap_groups.c.id == group_id))
            continue
        vectors = [_vector(b) for b in connection.execute(select(gap_questions.c.embedding).where(
            gap_questions.c.group_id == group_id)).scalars()]
        connection.execute(update(gap_groups).where(gap_groups.c.id == group_id)
                           .values(vector_sum=_blob(np.sum(vectors, axis=0)), members=left))
    return changed


def refresh(engine: Engine, encode: Encode, threshold: float,
            limit: Optional[int] = None) -> Tuple[int, int]:
    """Places the questions asked since the last refresh, oldest first, at most
    `limit` of them (a page load must not wait for a whole backlog to be encoded).
    Returns how many were placed and how many still wait (the watermark stays
    until none do, and placed ones are skipped, so the next call goes on from there)."""
    if not events_table_exists(engine):
        return 0, 0
    try:
        with engine.begin() as connection:
            prune(connection)
            newest = connection.execute(select(func.max(events.c.id))).scalar() or 0
            watermark = read_watermark(connection, WATERMARK)
            if newest == watermark:
                return 0, 0
            questions = new_questions(connection, max(0, min(watermark, newest) - LOOKBACK))
            batch = questions[:limit] if limit else questions
            if batch:
                place(connection, batch, embed(encode, [q.text for q in batch]), threshold)
            waiting = len(questions) - len(batch)
            if not waiting:
                write_watermark(connection, newest, WATERMARK)
            return len(batch), waiting
    except (IntegrityError, DBAPIError) as error:
        # Another console process placed the same questions at the same time. Serve what is there.
        logger.info("content gap refresh skipped: %s", type(error).__name__)
        return 0, 0


def place(connection: Connection, questions: Sequence[Question], embeddings: np.ndarray,
          threshold: float) -> None:
    """Stores the questions in existing or new groups (in the caller's transaction)."""
    stored = connection.execute(select(gap_groups.c.id, gap_groups.c.vector_sum, gap_groups.c.members)
                                .order_by(gap_groups.c.id)).all()
    ids = [row.id for row in stored]
    sums = np.stack([_vector(row.vector_sum) for row in stored]) if stored else None
    labels, new_sums = grouping.assign(embeddings, sums, threshold)
    added = np.bincount(labels, minlength=len(new_sums)) if len(labels) else np.zeros(len(new_sums), int)
    now = utc_now()
    for row in range(len(ids), len(new_sums)):
        result = connection.execute(insert(gap_groups).values(
            vector_sum=_blob(new_sums[row]), members=int(added[row]), status="open", created_at=now))
        ids.append(int(result.inserted_primary_key[0]))
    for row in range(len(stored)):
        if added[row]:
            connection.execute(update(gap_groups).where(gap_groups.c.id == ids[row]).values(
                vector_sum=_blob(new_sums[row]), members=stored[row].members + int(added[row])))
    connection.execute(insert(gap_questions), [
        {"event_id": q.event_id, "sender_id": q.sender_id[:255], "asked_at": q.asked_at,
         "reply_kind": q.reply_kind, "group_id": ids[int(label)], "embedding": _blob(vector)}
        for q, label, vector in zip(questions, labels, embeddings)])


# --- reading the queue ---------------------------------------------------------------

@dataclass
class Example:
    text: str
    sender_id: str
    event_id: int
    asked_at: float
    reply_kind: str


@dataclass
class GapGroup:
    id: int
    status: str
    status_by: Optional[str]
    status_at: Optional[datetime]
    size: int
    recent: int  # asked in the last TREND_DAYS days
    before: int  # in the TREND_DAYS days before that
    first_at: float
    last_at: float
    since_status: int = 0  # asked after the status was set
    not_sure: int = 0
    examples: List[Example] = field(default_factory=list)

    @property
    def trend(self) -> str:
        if self.recent > self.before:
            return "rising"
        if self.recent < self.before:
            return "falling"
        return "steady"


def status_counts(connection: Connection) -> Dict[str, int]:
    counts = dict(connection.execute(select(gap_groups.c.status, func.count())
                                     .group_by(gap_groups.c.status)).all())
    return {status: int(counts.get(status, 0)) for status in STATUSES}


def queue(connection: Connection, status: str, page: int, page_size: int,
          now: Optional[float] = None) -> Tuple[List[GapGroup], int]:
    """One page of groups (largest first) with size, trend and newest examples."""
    now = now if now is not None else datetime.now(timezone.utc).timestamp()
    q = gap_questions.c
    recent_from, before_from = now - TREND_DAYS * DAY, now - 2 * TREND_DAYS * DAY
    size = func.count().label("size")
    query = (select(gap_groups.c.id, gap_groups.c.status, gap_groups.c.status_by, gap_groups.c.status_at, size,
                    func.sum(case((q.asked_at >= recent_from, 1), else_=0)).label("recent"),
                    func.sum(case(((q.asked_at >= before_from) & (q.asked_at < recent_from), 1), else_=0))
                    .label("before"),
                    func.sum(case((q.reply_kind == "not_sure", 1), else_=0)).label("not_sure"),
                    func.min(q.asked_at).label("first_at"), func.max(q.asked_at).label("last_at"))
             .select_from(gap_groups.join(gap_questions, q.group_id == gap_groups.c.id))
             .group_by(gap_groups.c.id, gap_groups.c.status, gap_groups.c.status_by, gap_groups.c.status_at))
    count = select(func.count()).select_from(gap_groups)  # every stored group has members (prune)
    if status in STATUSES:
        query = query.where(gap_groups.c.status == status)
        count = count.where(gap_groups.c.status == status)
    total = connection.execute(count).scalar() or 0
    rows = connection.execute(query.order_by(size.desc(), func.max(q.asked_at).desc(), gap_groups.c.id)
                              .limit(page_size).offset(max(0, page - 1) * page_size)).all()
    groups = [GapGroup(row.id, row.status, row.status_by, row.status_at, int(row.size), int(row.recent or 0),
                       int(row.before or 0), float(row.first_at), float(row.last_at),
                       not_sure=int(row.not_sure or 0)) for row in rows]
    attach_examples(connection, groups)
    return groups, int(total)


def _epoch(value: Optional[datetime]) -> Optional[float]:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()


def attach_examples(connection: Connection, groups: List[GapGroup], limit: int = EXAMPLES) -> None:
    """The newest distinct questions of each group, and how many came after its status was set."""
    by_id = {group.id: group for group in groups}
    if not by_id:
        return
    q = gap_questions.c
    # a few more than shown, since the same wording is often asked again
    rank = func.row_number().over(partition_by=q.group_id,
                                  order_by=(q.asked_at.desc(), q.event_id.desc())).label("rank")
    newest = select(q.group_id, q.event_id, q.sender_id, q.asked_at, q.reply_kind, rank).where(
        q.group_id.in_(list(by_id))).subquery()
    rows = connection.execute(select(newest).where(newest.c.rank <= limit * 3)
                              .order_by(newest.c.group_id, newest.c.rank)).all()
    texts = question_texts(connection, [row.event_id for row in rows])
    seen: Dict[int, set] = defaultdict(set)
    for row in rows:
        group, text = by_id[row.group_id], texts.get(row.event_id, "")
        if not text or text.lower() in seen[row.group_id] or len(group.examples) == limit:
            continue
        seen[row.group_id].add(text.lower())
        group.examples.append(Example(text, row.sender_id, row.event_id, row.asked_at, row.reply_kind))
    for group in groups:
        status_at = _epoch(group.status_at)
        if status_at is not None:
            group.since_status = int(connection.execute(select(func.count()).where(
                q.group_id == group.id, q.asked_at > status_at)).scalar() or 0)


def question_texts(connection: Connection, event_ids: Sequence[int]) -> Dict[int, str]:
    """The texts of these user events, read from Rasa's `events` (never stored here)."""
    texts: Dict[int, str] = {}
    for start in range(0, len(event_ids), CHUNK):
        for row in connection.execute(select(events.c.id, events.c.data).where(
                events.c.id.in_(list(event_ids[start:start + CHUNK])))):
            texts[row.id] = " ".join(str(parse(row.data).get("text") or "").split())
    return texts


def set_status(connection: Connection, group_id: int, status: str, username: str) -> Optional[str]:
    """Sets a group's status; returns the previous one (None if there is no such group)."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    previous = connection.execute(select(gap_groups.c.status).where(gap_groups.c.id == group_id)).scalar()
    if previous is None:
        return None
    connection.execute(update(gap_groups).where(gap_groups.c.id == group_id).values(
        status=status, status_by=None if status == "open" else username[:80],
        status_at=None if status == "open" else utc_now()))
    return previous


def proposal_groups(connection: Connection) -> List[Tuple[int, List[str]]]:
    """The 'answer needed' groups with all their questions' texts (oldest first)."""
    ids = list(connection.execute(select(gap_groups.c.id).where(gap_groups.c.status == "answer_needed")
                                  .order_by(gap_groups.c.id)).scalars())
    out = []
    for group_id in ids:
        event_ids = list(connection.execute(select(gap_questions.c.event_id).where(
            gap_questions.c.group_id == group_id).order_by(gap_questions.c.asked_at, gap_questions.c.event_id))
            .scalars())
        texts = question_texts(connection, event_ids)
        out.append((group_id, [texts[e] for e in event_ids if texts.get(e)]))
    return out


def main() -> None:
    """Groups every waiting question now (e.g. a large backlog after an upgrade)."""
    import argparse

    from bot.db.session import get_engine
    from bot.settings import get_console_settings, get_settings
    from components.sentence_encoder import shared_encoder

    parser = argparse.ArgumentParser(description="Group all unanswered questions not grouped yet.")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    settings = get_console_settings()
    encoder = shared_encoder(str(settings.encoder_dir))
    placed, _ = refresh(get_engine(args.database_url or get_settings().database_url), encoder.encode,
                        settings.gap_similarity)
    print(f"{placed} questions grouped")


if __name__ == "__main__":
    main()
