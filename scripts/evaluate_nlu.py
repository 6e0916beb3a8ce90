"""Held-out NLU evaluation of the trained model, with the floor CI enforces.

    python -m scripts.evaluate_nlu [--data tests/nlu] [--out results/nlu]
                                   [--blind tests/blind/test.yaml ... [--baseline-ref COMMIT]]

Runs every held-out example (tests/nlu/, never used for training) through the
full trained NLU pipeline, including the retrieval fallback and the safety guard,
and scores two views:
  - per intent: the category or reply kind the classifier settled on;
  - per answer: what the person is actually answered with, i.e. the catalogue
    answer id for catalogue questions, the reply kind otherwise.
Prints precision/recall/F1 for both, writes report.json and a confusion-matrix
image, and exits 1 when fewer than 90% of examples get the right answer or kind,
or when any emergency or crisis example is not answered as an emergency.

This older held-out set was written by the same hands as the training data.
With `--blind tests/blind/test.yaml` it also runs the blind set (written by
outsiders to the training data) through a running assistant by the answer
catalogue contract and enforces its guards (scripts/evaluate_blind.py).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.metrics import classification_report, confusion_matrix  # noqa: E402

from rasa.core.agent import Agent  # noqa: E402
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.utils.log_utils import configure_structlog  # noqa: E402

ACCURACY_FLOOR = 0.90
# Both intents are answered with utter_emergency: the `emergency` reply kind.
EMERGENCY_INTENTS = {"emergency", "crisis"}


def answer_label(intent: str, answer_id: str | None) -> str:
    """What the person is answered with: the answer id, or the reply kind."""
    if answer_id:
        return answer_id
    return "emergency" if intent in EMERGENCY_INTENTS else intent


def predicted_labels(parse: Dict[str, Any]) -> Tuple[str, str]:
    intent = (parse.get("intent") or {}).get("name") or "none"
    selectors = parse.get("response_selector") or {}
    answer_id = None
    if intent in selectors.get("all_retrieval_intents", []):
        selected = selectors.get(intent) or selectors.get("default") or {}
        answer_id = (selected.get("response") or {}).get("intent_response_key")
    return intent, answer_label(intent, answer_id)


async def evaluate(model: Path, data: Path) -> List[Dict[str, str]]:
    agent = Agent.load(str(model))
    rows = []
    for example in load_data(str(data)).intent_examples:
        parse = await agent.parse_message(example.get(TEXT))
        intent, answer = predicted_labels(parse)
        rows.append(
            {
                "text": example.get(TEXT),
                "intent": example.get(INTENT),
                "answer": answer_label(example.get(INTENT), example.get(INTENT_RESPONSE_KEY)),
                "predicted_intent": intent,
                "predicted_answer": answer,
            }
        )
    return rows


def save_confusion_matrix(rows: List[Dict[str, str]], path: Path,
                          title: str = "Held-out NLU: answer / reply-kind confusion") -> None:
    labels = sorted({r["answer"] for r in rows} | {r["predicted_answer"] for r in rows})
    matrix = confusion_matrix(
        [r["answer"] for r in rows], [r["predicted_answer"] for r in rows], labels=labels
    )
    fig, ax = plt.subplots(figsize=(14, 12))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                colour = "white" if matrix[i, j] > matrix.max() / 2 else "black"
                ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=7, color=colour)
    ax.set_xlabel("predicted answer or kind")
    ax.set_ylabel("expected answer or kind")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/kyphoplasty.tar.gz"))
    parser.add_argument("--data", type=Path, default=Path("tests/nlu"))
    parser.add_argument("--out", type=Path, default=Path("results/nlu"))
    parser.add_argument("--blind", type=Path, action="append", default=[],
                        help="also run this blind questions file through a running assistant by the "
                             "catalogue contract (scripts/evaluate_blind.py) and enforce its guards; "
                             "may be given once per set")
    parser.add_argument("--baseline-ref", default=None,
                        help="with --blind: the same questions through an older commit, side by side")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # Rasa's structured log prints every parsed text at debug level: keep the report readable.
    configure_structlog(logging.WARNING)

    rows = asyncio.run(evaluate(args.model, args.data))
    by_intent = classification_report(
        [r["intent"] for r in rows], [r["predicted_intent"] for r in rows],
        zero_division=0, output_dict=True,
    )
    by_answer = classification_report(
        [r["answer"] for r in rows], [r["predicted_answer"] for r in rows],
        zero_division=0, output_dict=True,
    )
    print("Per intent (category or reply kind):")
    print(classification_report(
        [r["intent"] for r in rows], [r["predicted_intent"] for r in rows], zero_division=0, digits=3))
    print("Per answer (catalogue answer id or reply kind):")
    print(classification_report(
        [r["answer"] for r in rows], [r["predicted_answer"] for r in rows], zero_division=0, digits=3))

    correct = sum(r["answer"] == r["predicted_answer"] for r in rows)
    accuracy = correct / len(rows)
    missed_emergencies = [
        r for r in rows if r["answer"] == "emergency" and r["predicted_answer"] != "emergency"
    ]
    errors = [r for r in rows if r["answer"] != r["predicted_answer"]]
    (args.out / "report.json").write_text(json.dumps(
        {"examples": len(rows), "accuracy": accuracy, "per_intent": by_intent,
         "per_answer": by_answer, "errors": errors}, indent=2))
    save_confusion_matrix(rows, args.out / "confusion_matrix.png")

    print(f"Held-out examples: {len(rows)}; right answer or kind: {correct} ({accuracy:.1%}); "
          f"emergencies missed: {len(missed_emergencies)}")
    for r in errors:
        print(f"  expected {r['answer']:<32} got {r['predicted_answer']:<32} {r['text'][:70]!r}")
    print(f"Report: {args.out / 'report.json'}; confusion matrix: {args.out / 'confusion_matrix.png'}")

    failed = False
    for questions in args.blind:
        from scripts import evaluate_blind

        print(f"\n==> the blind set {questions}, by the answer catalogue contract")
        blind_args = ["--questions", str(questions), "--model", str(args.model),
                      "--out", str(args.out / "blind" / questions.parent.name), "--floors"]
        if args.baseline_ref:
            blind_args += ["--baseline-ref", args.baseline_ref]
        failed = (evaluate_blind.main(blind_args) != 0) or failed
    if accuracy < ACCURACY_FLOOR:
        print(f"FAIL: accuracy {accuracy:.1%} is below the {ACCURACY_FLOOR:.0%} floor", file=sys.stderr)
        failed = True
    if missed_emergencies:
        print(f"FAIL: {len(missed_emergencies)} emergency examples not answered as emergencies",
              file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
