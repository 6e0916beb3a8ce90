"""Merges the blind evaluation set's parts and splits it once into dev and test halves.

Kept for the record of how tests/blind/dev.yaml and test.yaml were made; it is
not run by the tests. The parts were written by helpers who saw only
../shared/source/kyphoplasty.md, ../shared/answer-catalogue.md and public
pages (each item's `origin`), never this project's training data.

    python tests/blind/split.py [--out DIR] PART.yaml [PART.yaml ...]

Round one: parts/ -> dev.yaml, test.yaml. Round two (written later by new
helpers, same brief, to give the designs fresh data): round2/part_*.yaml ->
round2/dev.yaml, round2/test.yaml. Round four: round4/parts/*.yaml ->
round4/dev.yaml, round4/test.yaml (`--out tests/blind/round4`); rounds five and
six and seven the same way (`--out tests/blind/round5`, `--out tests/blind/round6`,
`--out tests/blind/round7`).

The split is stratified by expected answer and decided by a hash of the item id,
so it does not depend on the order of the parts or on any result.
"""
from __future__ import annotations

import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "shared" / "eval"))
from run_eval import load_questions  # noqa: E402  (the evaluators' own reader)

SALT = "kyphoplasty-blind-2026-11-30"

# Label corrections the writers themselves proposed in their notes, applied
# before any evaluation: three "could it suit someone who is 96 / in their
# 30s / 350 lbs" questions may also start the checklist, and two dialogues that
# report a warning sign must also see the emergency reply.
EXTRA_ALSO_OK = {"nc097": ["screening"], "nc098": ["screening"], "nc100": ["screening"]}
EXTRA_KINDS_SEEN = {"dlg09": ["emergency"], "dlg30": ["emergency"]}
# Round two: items its writers happened to phrase exactly like a training
# example written before them (tests/test_nlu_data.py's near-copy check, run
# before any evaluation). They would measure memory, not understanding, so they
# are set aside rather than the training data being edited.
# Round five: four short canonical phrasings ("how long does the operation itself
# take", "when can i drive after kyphoplasty") written exactly as older training
# examples, found the same way before any evaluation. Round six: two ("is
# kyphoplasty done under local or general anesthesia", "can i take my blood
# pressure tablets on the morning of the procedure"); round seven: one ("could
# you screen me for kyphoplasty").
SET_ASIDE = {"r2un112", "r2ck65", "r2nm036", "r2ck06", "r2ck10", "r2nm085", "r2nm071", "r2ckd04",
             "r5nc016", "r5ca052", "r5nc005", "r5nc010",
             "r6ca016", "r6nc042", "r7ck06"}


def rank(item_id: str) -> str:
    return hashlib.sha256(f"{SALT}:{item_id}".encode()).hexdigest()


def split(entries, key):
    groups = defaultdict(list)
    for entry in entries:
        groups[key(entry)].append(entry)
    dev, test = [], []
    for group in groups.values():
        for i, entry in enumerate(sorted(group, key=lambda e: rank(e["id"]))):
            (dev if i % 2 == 0 else test).append(entry)
    return dev, test


def q(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def dump(items, dialogues, half: str) -> str:
    lines = [
        f"# Blind evaluation set, {half} half. Format: ../../../shared/eval/example_questions.yaml.",
        "# Written blind from the source document, the answer catalogue and public pages (origin).",
        "# " + ("Used to choose designs and thresholds." if half == "dev" else
                "Used ONLY for reporting and the floors in tests/server/test_blind_floors.py; never tuned on."),
        "version: 1",
        "items:",
    ]
    for it in items:
        lines.append(f"  - id: {q(it['id'])}")
        lines.append(f"    text: {q(it['text'])}")
        lines.append(f"    expect: {q(it['expect'])}")
        if it.get("also_ok"):
            lines.append(f"    also_ok: [{', '.join(q(a) for a in it['also_ok'])}]")
        lines.append(f"    origin: {q(it['origin'])}")
    lines.append("dialogues:")
    for d in dialogues:
        lines.append(f"  - id: {q(d['id'])}")
        if d.get("note"):
            lines.append(f"    note: {q(d['note'])}")
        lines.append("    turns:")
        lines.extend(f"      - {q(t)}" for t in d["turns"])
        lines.append(f"    must_not_crash: {'true' if d.get('must_not_crash', True) else 'false'}")
        for key in ("expect_kinds_seen", "expect_kinds_not_seen"):
            if d.get(key):
                lines.append(f"    {key}: [{', '.join(q(k) for k in d[key])}]")
        if d.get("origin"):
            lines.append(f"    origin: {q(d['origin'])}")
    return "\n".join(lines) + "\n"


def main(paths, out: Path = HERE):
    items, dialogues = [], []
    for path in paths:
        data, _ = load_questions(path)
        items += data["items"]
        dialogues += data.get("dialogues") or []
    for it in items:
        it["also_ok"] = list(it.get("also_ok") or []) + EXTRA_ALSO_OK.get(it["id"], [])
    for d in dialogues:
        d["expect_kinds_seen"] = list(d.get("expect_kinds_seen") or []) + EXTRA_KINDS_SEEN.get(d["id"], [])
    items = [i for i in items if i["id"] not in SET_ASIDE]
    dialogues = [d for d in dialogues if d["id"] not in SET_ASIDE]
    ids = [i["id"] for i in items] + [d["id"] for d in dialogues]
    assert len(ids) == len(set(ids)), "duplicate ids across parts"
    dev_items, test_items = split(items, key=lambda i: i["expect"])
    dev_dlg, test_dlg = split(dialogues, key=lambda d: tuple(d.get("expect_kinds_seen") or []))
    (out / "dev.yaml").write_text(dump(dev_items, dev_dlg, "dev"), encoding="utf-8")
    (out / "test.yaml").write_text(dump(test_items, test_dlg, "test"), encoding="utf-8")
    print(f"dev: {len(dev_items)} items, {len(dev_dlg)} dialogues; "
          f"test: {len(test_items)} items, {len(test_dlg)} dialogues")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--out"]:
        main(args[2:], Path(args[1]))
    else:
        main(args)
