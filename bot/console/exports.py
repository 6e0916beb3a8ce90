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


PROPOSAL_INTENT = "proposed/gap_{id}"
PLACEHOLDER = ("NEEDS CLINICAL WRITING. There is no approved answer to this question yet. "
               "A clinician must write it from an approved source and list that source's "
               "passages under metadata.source before this is used.")


def gap_proposal_yaml(groups: Iterable, created) -> str:  # type: ignore[no-untyped-def]
    """The 'answer needed' content gaps as a Rasa 3.x training data proposal.

    One retrieval intent `proposed/gap_<group id>` per group, its examples the
    questions patients asked (masked, de-duplicated), and a placeholder response
    that cites nothing (`metadata.source` empty), marked as needing clinical
    writing: nothing here is an answer until a clinician writes one from an
    approved source and gives it a real answer id.
    """
    import yaml

    nlu, responses = [], {}
    for group_id, texts in groups:
        seen, examples = set(), []
        for text in texts:
            text = " ".join(mask(text or "").split())
            if text and text.lower() not in seen:
                seen.add(text.lower())
                examples.append(text)
        if not examples:
            continue
        intent = PROPOSAL_INTENT.format(id=int(group_id))
        nlu.append({"intent": intent, "examples": "".join(f"- {text}\n" for text in examples)})
        responses[f"utter_{intent}"] = [{"text": PLACEHOLDER, "metadata": {
            "source": [], "needs_clinical_writing": True, "content_gap_group": int(group_id)}}]

    class Dumper(yaml.SafeDumper):
        pass

    def block(dumper, value):  # type: ignore[no-untyped-def]
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, block)
    header = "\n".join([
        "# PROPOSAL, NOT TRAINING DATA: content gaps staff marked 'answer needed'",
        f"# (staff console, {created:%Y-%m-%d %H:%M} UTC).",
        "# Each intent holds questions patients asked that the assistant answered with",
        "# not_covered or not_sure (masked). Each response is a placeholder that cites",
        "# nothing: a clinician writes the answer from an approved source, lists that",
        "# source's passages word for word under metadata.source, renames the intent to",
        "# a real answer id (<category>/<topic>) and moves both into data/nlu/.",
    ])
    body = yaml.dump({"version": "3.1", "nlu": nlu, "responses": responses}, Dumper=Dumper,
                     sort_keys=False, allow_unicode=True, width=1000)
    return header + "\n" + body
