"""Read queries for the console pages. Every value from a request is a bound
parameter; nothing from a request is ever formatted into SQL text."""
from __future__ import annotations

from dataclasses import dataclass, field, asdict
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import and_, exists, false, func, or_, select, true
from sqlalchemy.engine import Connection

from bot.console.events import answer_label, events, parse, utter_action
from bot.db.models import (CallbackRequest, ConversationAnswer, ConversationNote,
                           ConversationReview, ConversationSummary, ConversationTag,
                           FlaggedMessage, ScreeningResult)

summaries = ConversationSummary.__table__
answers = ConversationAnswer.__table__
reviews = ConversationReview.__table__
tags = ConversationTag.__table__
notes = ConversationNote.__table__
flags = FlaggedMessage.__table__
screenings = ScreeningResult.__table__
callbacks = CallbackRequest.__table__

MAX_FIELD = 120


def _text(args: Mapping[str, str], name: str) -> str:
    return (args.get(name) or "").strip()[:MAX_FIELD]


def _date(args: Mapping[str, str], name: str, errors: List[str]) -> Optional[date]:
    value = _text(args, name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"{name.replace('_', ' ')} is not a date (YYYY-MM-DD); ignored")
        return None


def epoch(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


@dataclass
class Filters:
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    channel: str = ""
    answer: str = ""  # `about/what_is`, a category `about`, or a reply kind `not_covered`
    emergency: bool = False
    problem: str = ""  # "", "any" (not_covered or fallback), "not_covered", "fallback"
    outcome: str = ""
    reviewed: str = ""  # "", "yes", "no"
    tag: str = ""
    q: str = ""
    errors: List[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "Filters":
        errors: List[str] = []
        problem = _text(args, "problem")
        reviewed = _text(args, "reviewed")
        return cls(
            date_from=_date(args, "date_from", errors), date_to=_date(args, "date_to", errors),
            channel=_text(args, "channel"), answer=_text(args, "answer"),
            emergency=_text(args, "emergency") in ("1", "on", "yes", "true"),
            problem=problem if problem in ("any", "not_covered", "fallback") else "",
            outcome=_text(args, "outcome"),
            reviewed=reviewed if reviewed in ("yes", "no") else "",
            tag=_text(args, "tag").lower(), q=_text(args, "q"), errors=errors)

    def as_args(self) -> Dict[str, str]:
        """The filters as query-string arguments (for paging and export links)."""
        values = asdict(self)
        values.pop("errors")
        out = {}
        for key, value in values.items():
            if value in (None, "", False):
                continue
            out[key] = "1" if value is True else str(value)
        return out


def like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conversation_conditions(filters: Filters) -> list:
    s = summaries.c
    conditions = []
    if filters.date_from:
        conditions.append(s.last_at >= epoch(filters.date_from))
    if filters.date_to:
        conditions.append(s.last_at < epoch(filters.date_to + timedelta(days=1)))
    if filters.channel:
        conditions.append(s.channel == filters.channel)
    if filters.answer:
        action = "utter_" + filters.answer
        match = (answers.c.answer_id == action) if "/" in filters.answer else or_(
            answers.c.answer_id == action,
            answers.c.answer_id.like(like_pattern(action + "/")[1:], escape="\\"))
        conditions.append(exists(select(answers.c.sender_id).where(
            answers.c.sender_id == s.sender_id, match)))
    if filters.emergency:
        conditions.append(s.emergencies > 0)
    if filters.problem == "any":
        conditions.append(or_(s.not_covered > 0, s.fallbacks > 0))
    elif filters.problem == "not_covered":
        conditions.append(s.not_covered > 0)
    elif filters.problem == "fallback":
        conditions.append(s.fallbacks > 0)
    if filters.outcome:
        conditions.append(exists(select(screenings.c.id).where(
            screenings.c.conversation_id == s.sender_id, screenings.c.outcome == filters.outcome)))
    if filters.reviewed == "yes":
        conditions.append(reviews.c.reviewed == true())
    elif filters.reviewed == "no":
        conditions.append(or_(reviews.c.reviewed.is_(None), reviews.c.reviewed == false()))
    if filters.tag:
        conditions.append(exists(select(tags.c.sender_id).where(
            tags.c.sender_id == s.sender_id, tags.c.tag == filters.tag)))
    if filters.q:
        pattern = like_pattern(filters.q)
        conditions.append(or_(s.search_text.like(pattern, escape="\\"),
                              func.lower(s.sender_id).like(pattern, escape="\\")))
    return conditions


def conversation_select(filters: Filters, columns: Optional[Sequence] = None):
    base = summaries.outerjoin(reviews, reviews.c.sender_id == summaries.c.sender_id)
    cols = list(columns) if columns is not None else [summaries, reviews.c.reviewed,
                                                      reviews.c.reviewed_by]
    return select(*cols).select_from(base).where(and_(true(), *conversation_conditions(filters)))


def list_conversations(connection: Connection, filters: Filters, page: int,
                       page_size: int) -> Tuple[List[Dict[str, Any]], int]:
    total = connection.execute(
        conversation_select(filters, [func.count()])).scalar() or 0
    rows = connection.execute(
        conversation_select(filters)
        .order_by(summaries.c.last_at.desc(), summaries.c.sender_id.desc())
        .limit(page_size).offset(max(0, page - 1) * page_size)
    ).mappings().all()
    items = [dict(row) for row in rows]
    attach_tags_and_outcomes(connection, items)
    return items, int(total)


def iter_conversations(connection: Connection, filters: Filters, batch: int = 500):
    """All matching conversations, newest first, in batches (for exports)."""
    offset = 0
    while True:
        rows = connection.execute(
            conversation_select(filters)
            .order_by(summaries.c.last_at.desc(), summaries.c.sender_id.desc())
            .limit(batch).offset(offset)).mappings().all()
        if not rows:
            return
        items = [dict(row) for row in rows]
        attach_tags_and_outcomes(connection, items)
        yield from items
        offset += batch


def attach_tags_and_outcomes(connection: Connection, items: List[Dict[str, Any]]) -> None:
    ids = [item["sender_id"] for item in items]
    by_id = {item["sender_id"]: item for item in items}
    for item in items:
        item["tags"], item["outcomes"], item["answer_ids"] = [], [], []
    if not ids:
        return
    for sender_id, tag in connection.execute(
            select(tags.c.sender_id, tags.c.tag).where(tags.c.sender_id.in_(ids)).order_by(tags.c.tag)):
        by_id[sender_id]["tags"].append(tag)
    for sender_id, outcome in connection.execute(
            select(screenings.c.conversation_id, screenings.c.outcome)
            .where(screenings.c.conversation_id.in_(ids)).order_by(screenings.c.id)):
        by_id[sender_id]["outcomes"].append(outcome)
    for sender_id, answer_id in connection.execute(
            select(answers.c.sender_id, answers.c.answer_id)
            .where(answers.c.sender_id.in_(ids)).order_by(answers.c.answer_id)):
        by_id[sender_id]["answer_ids"].append(answer_label(answer_id))


def filter_choices(connection: Connection) -> Dict[str, List[str]]:
    answer_ids = sorted({answer_label(a) for a in connection.execute(
        select(answers.c.answer_id).distinct()).scalars()})
    return {
        "answers": answer_ids,
        "categories": sorted({a.split("/")[0] for a in answer_ids if "/" in a}),
        "channels": [c for c in connection.execute(
            select(summaries.c.channel).where(summaries.c.channel.isnot(None))
            .distinct().order_by(summaries.c.channel)).scalars()],
        "outcomes": list(connection.execute(
            select(screenings.c.outcome).distinct().order_by(screenings.c.outcome)).scalars()),
        "tags": list(connection.execute(
            select(tags.c.tag).distinct().order_by(tags.c.tag)).scalars()),
    }


# --- one conversation ------------------------------------------------------------

TRANSCRIPT_TYPES = ("user", "bot", "session_started", "active_loop")


def conversation_exists(connection: Connection, sender_id: str) -> bool:
    return connection.execute(
        select(events.c.id).where(events.c.sender_id == sender_id).limit(1)).first() is not None


def transcript(connection: Connection, sender_id: str, page: int,
               page_size: int) -> Tuple[List[Dict[str, Any]], int]:
    """One page of a conversation: messages with what the assistant understood."""
    condition = and_(events.c.sender_id == sender_id, events.c.type_name.in_(TRANSCRIPT_TYPES))
    total = connection.execute(select(func.count()).select_from(events).where(condition)).scalar()
    rows = connection.execute(
        select(events.c.id, events.c.type_name, events.c.timestamp, events.c.data)
        .where(condition).order_by(events.c.id)
        .limit(page_size).offset(max(0, page - 1) * page_size)).all()
    items = []
    for row in rows:
        event = parse(row.data)
        item: Dict[str, Any] = {"id": row.id, "kind": row.type_name, "timestamp": row.timestamp}
        if row.type_name == "user":
            parse_data = event.get("parse_data") or {}
            intent = parse_data.get("intent") or {}
            selector = ((parse_data.get("response_selector") or {}).get("default") or {}).get("response") or {}
            item.update(
                text=event.get("text") or "",
                intent=intent.get("name"),
                confidence=intent.get("confidence"),
                retrieval=selector.get("intent_response_key"),
                retrieval_confidence=selector.get("confidence"),
                entities=[{"entity": e.get("entity"), "value": e.get("value")}
                          for e in parse_data.get("entities") or [] if isinstance(e, dict)],
                channel=event.get("input_channel"))
        elif row.type_name == "bot":
            action = utter_action(event)
            item.update(text=event.get("text") or "", action=action, answer=answer_label(action),
                        buttons=[b.get("title") for b in ((event.get("data") or {}).get("buttons") or [])
                                 if isinstance(b, dict)])
        elif row.type_name == "active_loop":
            item.update(name=event.get("name"))
        items.append(item)
    # the reply given to each user message, for flagging
    last_user = None
    for item in items:
        if item["kind"] == "user":
            last_user = item
        elif item["kind"] == "bot" and last_user is not None and "given" not in last_user:
            last_user["given"] = item.get("answer")
    return items, int(total or 0)


def user_event(connection: Connection, sender_id: str, event_id: int) -> Optional[Dict[str, Any]]:
    row = connection.execute(
        select(events.c.id, events.c.data).where(
            events.c.sender_id == sender_id, events.c.id == event_id, events.c.type_name == "user")
    ).first()
    if row is None:
        return None
    event = parse(row.data)
    following = connection.execute(
        select(events.c.data).where(events.c.sender_id == sender_id, events.c.id > event_id,
                                    events.c.type_name == "bot").order_by(events.c.id).limit(1)).scalar()
    intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    return {"text": event.get("text") or "", "intent": intent,
            "given": answer_label(utter_action(parse(following))) if following else None}


def review_state(connection: Connection, sender_id: str) -> Dict[str, Any]:
    review = connection.execute(select(reviews).where(reviews.c.sender_id == sender_id)).mappings().first()
    return {
        "review": dict(review) if review else None,
        "tags": list(connection.execute(select(tags.c.tag).where(tags.c.sender_id == sender_id)
                                        .order_by(tags.c.tag)).scalars()),
        "notes": [dict(r) for r in connection.execute(
            select(notes).where(notes.c.sender_id == sender_id).order_by(notes.c.id)).mappings()],
        "flags": [dict(r) for r in connection.execute(
            select(flags).where(flags.c.sender_id == sender_id).order_by(flags.c.id)).mappings()],
        "screenings": [dict(r) for r in connection.execute(
            select(screenings).where(screenings.c.conversation_id == sender_id)
            .order_by(screenings.c.id)).mappings()],
        "callbacks": [dict(r) for r in connection.execute(
            select(callbacks).where(callbacks.c.conversation_id == sender_id)
            .order_by(callbacks.c.id)).mappings()],
        "summary": connection.execute(select(summaries).where(summaries.c.sender_id == sender_id))
        .mappings().first(),
    }


def conversation_messages(connection: Connection, sender_ids: Sequence[str]) -> Dict[str, list]:
    """User and bot messages of these conversations (for the JSONL export)."""
    out: Dict[str, list] = {s: [] for s in sender_ids}
    if not sender_ids:
        return out
    rows = connection.execute(
        select(events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data)
        .where(events.c.sender_id.in_(list(sender_ids)), events.c.type_name.in_(("user", "bot")))
        .order_by(events.c.sender_id, events.c.id))
    for row in rows:
        event = parse(row.data)
        message: Dict[str, Any] = {"role": row.type_name, "timestamp": row.timestamp,
                                   "text": event.get("text") or ""}
        if row.type_name == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {})
            message.update(intent=intent.get("name"), confidence=intent.get("confidence"))
        else:
            message["answer_id"] = answer_label(utter_action(event))
        out[row.sender_id].append(message)
    return out
