"""Dashboard figures: aggregate queries plus server-side matplotlib charts (PNG).

Charts are rendered with matplotlib's object API (no pyplot global state, so it is
safe in a threaded server) and embedded as data: URIs, so the page needs no script
and no second authenticated request. Identical data gives an identical picture, so
rendered charts are cached by their data.
"""
from __future__ import annotations

import base64
import io
import threading
from collections import OrderedDict
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Tuple

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from bot.console.events import answer_label
from bot.console.queries import answers, callbacks, screenings, summaries

_cache: "OrderedDict[Tuple, str]" = OrderedDict()
_lock = threading.Lock()
CACHE_SIZE = 64
COLOURS = ["#1f5f8b", "#c0392b", "#d68910", "#5b2c6f", "#1e8449", "#7f8c8d"]


def _days(date_from: date, date_to: date) -> List[str]:
    count = (date_to - date_from).days + 1
    return [(date_from + timedelta(days=i)).isoformat() for i in range(max(0, count))]


def dashboard_data(connection: Connection, date_from: date, date_to: date) -> Dict[str, Any]:
    s = summaries.c
    in_range = and_(s.first_day >= date_from.isoformat(), s.first_day <= date_to.isoformat())
    per_day = {row.first_day: row for row in connection.execute(
        select(s.first_day, func.count().label("conversations"),
               func.sum(case((s.emergencies > 0, 1), else_=0)).label("emergencies"),
               func.sum(s.bot_messages).label("replies"),
               func.sum(s.not_covered).label("not_covered"),
               func.sum(s.fallbacks).label("fallbacks"))
        .where(in_range).group_by(s.first_day))}
    days = _days(date_from, date_to)
    totals = connection.execute(
        select(func.count(), func.coalesce(func.sum(s.bot_messages), 0),
               func.coalesce(func.sum(s.answers), 0), func.coalesce(func.sum(s.not_covered), 0),
               func.coalesce(func.sum(s.fallbacks), 0), func.coalesce(func.sum(s.emergencies), 0),
               func.coalesce(func.sum(case((s.emergencies > 0, 1), else_=0)), 0))
        .where(in_range)).one()
    top = connection.execute(
        select(answers.c.answer_id, func.sum(answers.c.count).label("n"))
        .select_from(answers.join(summaries, summaries.c.sender_id == answers.c.sender_id))
        .where(in_range, answers.c.answer_id.like("utter\\_%/%", escape="\\"))
        .group_by(answers.c.answer_id).order_by(func.sum(answers.c.count).desc(), answers.c.answer_id)
        .limit(15)).all()
    start = datetime(date_from.year, date_from.month, date_from.day, tzinfo=timezone.utc)
    end = datetime(date_to.year, date_to.month, date_to.day, tzinfo=timezone.utc) + timedelta(days=1)
    outcomes = connection.execute(
        select(screenings.c.outcome, func.count()).where(
            screenings.c.created_at >= start, screenings.c.created_at < end)
        .group_by(screenings.c.outcome).order_by(func.count().desc(), screenings.c.outcome)).all()
    now = datetime.now(timezone.utc)
    open_rows = connection.execute(
        select(callbacks.c.created_at).where(callbacks.c.status == "open")).scalars().all()
    backlog = {"open, under 1 day": 0, "open, 1-3 days": 0, "open, over 3 days": 0}
    for created in open_rows:
        if created.tzinfo is None:  # SQLite returns naive UTC
            created = created.replace(tzinfo=timezone.utc)
        age = now - created
        key = ("open, under 1 day" if age < timedelta(days=1) else
               "open, 1-3 days" if age < timedelta(days=3) else "open, over 3 days")
        backlog[key] += 1
    backlog["done in period"] = connection.execute(
        select(func.count()).select_from(callbacks).where(
            callbacks.c.status == "done", callbacks.c.handled_at >= start,
            callbacks.c.handled_at < end)).scalar() or 0
    replies = int(totals[1])
    return {
        "date_from": date_from, "date_to": date_to,
        "conversations": int(totals[0]), "replies": replies,
        "answers": int(totals[2]), "not_covered": int(totals[3]), "fallbacks": int(totals[4]),
        "emergency_replies": int(totals[5]), "emergency_conversations": int(totals[6]),
        "per_day": [(d, int(per_day[d].conversations) if d in per_day else 0) for d in days],
        "emergencies_per_day": [(d, int(per_day[d].emergencies or 0) if d in per_day else 0) for d in days],
        "share_per_day": [
            (d, _share(per_day[d].not_covered, per_day[d].replies) if d in per_day else 0.0,
             _share(per_day[d].fallbacks, per_day[d].replies) if d in per_day else 0.0) for d in days],
        "top_answers": [(answer_label(a), int(n)) for a, n in top],
        "outcomes": [(o, int(n)) for o, n in outcomes],
        "backlog": list(backlog.items()),
    }


def _share(part: Any, whole: Any) -> float:
    return round(100.0 * float(part or 0) / float(whole), 1) if whole else 0.0


def _figure(width: float = 7.0, height: float = 3.0):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.add_subplot(1, 1, 1)
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    return figure, axes


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _day_ticks(axes, labels: List[str]) -> None:
    step = max(1, len(labels) // 10)
    axes.set_xticks(range(0, len(labels), step))
    axes.set_xticklabels([labels[i][5:] for i in range(0, len(labels), step)], fontsize=8)


def _render(name: str, data: Any) -> str:
    if name in ("per_day", "emergencies_per_day"):
        figure, axes = _figure()
        labels = [d for d, _ in data]
        axes.bar(range(len(data)), [n for _, n in data],
                 color=COLOURS[0] if name == "per_day" else COLOURS[1])
        _day_ticks(axes, labels)
        axes.set_ylabel("conversations")
    elif name == "share_per_day":
        figure, axes = _figure()
        labels = [d for d, _, _ in data]
        axes.plot(range(len(data)), [nc for _, nc, _ in data], marker="o", markersize=3,
                  color=COLOURS[2], label="not covered")
        axes.plot(range(len(data)), [fb for _, _, fb in data], marker="s", markersize=3,
                  color=COLOURS[3], label="fallback (not sure)")
        _day_ticks(axes, labels)
        axes.set_ylabel("% of replies")
        axes.legend(frameon=False, fontsize=8)
    elif name == "pain_trend":  # one patient's pain score (0-10) per check-in
        figure, axes = _figure(6.0, 2.6)
        axes.plot(range(len(data)), [pain for _, pain in data], marker="o", color=COLOURS[1])
        axes.set_xticks(range(len(data)))
        axes.set_xticklabels([label for label, _ in data], fontsize=8)
        axes.set_ylim(-0.5, 10.5)
        axes.set_ylabel("pain (0-10)")
    else:  # horizontal bars: top answers, outcomes, backlog
        height = 0.9 + 0.28 * max(1, len(data))
        figure, axes = _figure(7.0, min(6.0, height))
        labels = [str(label) for label, _ in data][::-1]
        axes.barh(range(len(labels)), [n for _, n in data][::-1],
                  color={"top_answers": COLOURS[0], "outcomes": COLOURS[4]}.get(name, COLOURS[2]))
        axes.set_yticks(range(len(labels)))
        axes.set_yticklabels(labels, fontsize=8)
        axes.set_xlabel("count")
    return _png(figure)


def chart(name: str, data: Any) -> str:
    """The chart as a data: URI (cached by its data)."""
    key = (name, repr(data))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    uri = _render(name, data)
    with _lock:
        _cache[key] = uri
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return uri


def clear_cache() -> None:
    with _lock:
        _cache.clear()
