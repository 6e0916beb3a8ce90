"""Exports: conversations as CSV / JSONL, flagged messages as Rasa NLU training data.

Everything exported is masked (phone numbers, emails): exports leave the console."""
from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from typing import Dict, Iterable, Iterator, List

from bot.console.privacy import mask

CSV_COLUMNS = ["conversation_id", "channel", "started", "last_activity", "user_messages",
               "bot_messages", "emergencies", "not_covered", "fallbacks", "handoffs",
               "answer_ids", "screening_outcomes", "reviewed", "tags", "first_message"]


def _iso(ts) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds") if ts else ""


def _safe_cell(value: str) -> str:
    # Spreadsheet formula injection: a cell starting with = + - @ is shown as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_rows(conversations: Iterable[Dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return value

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for c in conversations:
        writer.writerow([_safe_cell(str(v)) for v in [
            c["sender_id"], c.get("channel") or "", _iso(c["started_at"]), _iso(c["last_at"]),
            c["user_messages"], c["bot_messages"], c["emergencies"], c["not_covered"],
            c["fallbacks"], c["handoffs"], " ".join(c.get("answer_ids", [])),
            " ".join(c.get("outcomes", [])), "yes" if c.get("reviewed") else "no",
            " ".join(c.get("tags", [])), mask(c.get("preview") or "")]])
        yield flush()


def jsonl_line(conversation: Dict, messages: List[Dict]) -> str:
    record = {
        "conversation_id": conversation["sender_id"], "channel": conversation.get("channel"),
        "started": _iso(conversation["started_at"]), "last_activity": _iso(conversation["last_at"]),
        "reviewed": bool(conversation.get("reviewed")), "tags": conversation.get("tags", []),
        "screening_outcomes": conversation.get("outcomes", []),
        "messages": [{**m, "text": mask(m.get("text", ""))} for m in messages],
    }
    return json.dumps(record, ensure_ascii=False) + "\n"


def nlu_yaml(flagged: Iterable[Dict]) -> str:
    """Rasa 3.x NLU training data: one intent per expected answer, examples de-duplicated."""
    examples: Dict[str, List[str]] = defaultdict(list)
    for flag in flagged:
        text = " ".join(mask(flag["text"] or "").split())
        if text and text not in examples[flag["expected_answer"]]:
            examples[flag["expected_answer"]].append(text)
    lines = ['version: "3.1"',
             "# Messages staff flagged as wrongly answered, grouped by the answer they should",
             "# have had. Review each example before moving it into data/nlu/.",
             "nlu:"]
    for intent in sorted(examples):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {text}" for text in examples[intent])
    if not examples:
        lines[-1] = "nlu: []"
    return "\n".join(lines) + "\n"
