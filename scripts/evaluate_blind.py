"""The blind set through a running assistant, exactly as outside evaluators run it.

    python -m scripts.evaluate_blind [--questions tests/blind/test.yaml] [--model M]
                                     [--baseline-model OLD] [--out results/blind] [--floors]

Starts the assistant (action server + Rasa server on free ports, a fresh SQLite
file), runs ../shared/eval/run_eval.py against it by the answer catalogue
contract (REST message, then the tracker's `metadata.utter_action`), and prints
the figures the understanding floors are about, per answer id and kind, with a
confusion matrix. With `--baseline-model` the same questions also go through
an older model, side by side. With `--floors` it exits 1 when the blind test
half falls below a floor (FLOORS below); the test command runs it that way on
tests/blind/test.yaml, which nobody tunes on (tests/blind/README.md).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional

from scripts.stack import MODEL, ROOT, start_assistant

RUN_EVAL = ROOT.parent / "shared" / "eval" / "run_eval.py"
KINDS = ("screening", "emergency", "not_covered", "out_of_scope", "handoff", "chitchat")
# (figure, lowest or highest allowed, "min" or "max"), from the understanding issue.
FLOORS = {
    "catalogue_accuracy": (0.95, "min"),
    "not_covered_recall": (0.90, "min"),
    "false_answer_rate": (0.02, "max"),
    "emergency_recall": (1.00, "min"),
    "false_alarm_rate": (0.02, "max"),
    "checklist_recall": (0.95, "min"),
}


def run_contract(url: str, token: str, questions: Path, out_json: Path) -> Dict[str, Any]:
    """run_eval.py as a separate process: the evaluators' runner, unchanged."""
    completed = subprocess.run(
        [sys.executable, str(RUN_EVAL), "--url", url, "--token", token, "--questions", str(questions),
         "--json", str(out_json), "--quiet"],
        capture_output=True, text=True, timeout=3600,
    )
    if completed.returncode != 0 or not out_json.exists():
        raise RuntimeError(f"run_eval.py failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    return json.loads(out_json.read_text(encoding="utf-8"))


def is_catalogue(label: str) -> bool:
    return "/" in label and not label.startswith("chitchat/")


def main_answer(answers: List[str]) -> str:
    """The answer a person would take away: emergency first, then a catalogue
    answer, a screening start, another kind; chitchat and the disclaimer last."""
    for wanted in ("emergency",):
        if wanted in answers:
            return wanted
    for a in answers:
        if is_catalogue(a):
            return a
    for kind in ("screening", "not_covered", "out_of_scope", "handoff"):
        if kind in answers:
            return kind
    if any(a.startswith("chitchat") for a in answers):
        return "chitchat"
    rest = [a for a in answers if a not in ("disclaimer",)]
    return rest[0] if rest else "(none)"


def figures(result: Dict[str, Any]) -> Dict[str, Any]:
    items = result["items"]
    summary = result["summary"]

    def share(selected: List[Dict[str, Any]], ok) -> Optional[float]:
        return sum(1 for r in selected if ok(r)) / len(selected) if selected else None

    catalogue = [r for r in items if is_catalogue(r["expect"])]
    screening = [r for r in items if r["expect"] == "screening"]
    others = [r for r in items if r["expect"] != "emergency"]
    return {
        "items": len(items),
        "accuracy": summary["accuracy"],
        "catalogue_accuracy": share(catalogue, lambda r: r["passed"]),
        "not_covered_recall": summary["not_covered_recall"],
        "false_answer_rate": summary["false_answer_rate"],
        "false_answers": [f["id"] for f in summary["false_answers"]],
        "emergency_recall": summary["emergency_recall"],
        "false_alarm_rate": share(others, lambda r: "emergency" in r["answers"]),
        "false_alarms": summary["emergency_false_alarms"],
        "checklist_recall": share(screening, lambda r: r["passed"]),
        "dialogues_passed": f"{summary['dialogues_passed']}/{summary['dialogues']}",
        "request_errors": summary["errors"],
        "latency_p50_ms": round(1000 * (summary["latency_p50_s"] or 0), 1),
        "latency_p95_ms": round(1000 * (summary["latency_p95_s"] or 0), 1),
    }


def per_label(result: Dict[str, Any]) -> Dict[str, List[int]]:
    table: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    for r in result["items"]:
        table[r["expect"]][0] += bool(r["passed"])
        table[r["expect"]][1] += 1
    return dict(table)


def confusion(result: Dict[str, Any]) -> Dict[str, Counter]:
    """Expected kind/answer -> what was mainly answered, for the failures."""
    rows: Dict[str, Counter] = defaultdict(Counter)
    for r in result["items"]:
        if not r["passed"]:
            rows[r["expect"]][main_answer(r["answers"]) if not r["error"] else "ERROR"] += 1
    return rows


def _pct(x: Optional[float]) -> str:
    return "  n/a " if x is None else f"{100 * x:5.1f}%"


def print_report(results: Dict[str, Dict[str, Any]]) -> None:
    names = list(results)
    figs = {name: figures(results[name]) for name in names}
    print(f"{'figure':26s}" + "".join(f"{n:>16s}" for n in names) + "   floor")
    for key in ("accuracy", "catalogue_accuracy", "not_covered_recall", "false_answer_rate",
                "emergency_recall", "false_alarm_rate", "checklist_recall"):
        floor = FLOORS.get(key)
        floor_text = f"{'>=' if floor[1] == 'min' else '<='} {100 * floor[0]:.0f}%" if floor else ""
        print(f"{key:26s}" + "".join(f"{_pct(figs[n][key]):>16s}" for n in names) + f"   {floor_text}")
    for key in ("dialogues_passed", "request_errors", "latency_p50_ms", "latency_p95_ms"):
        print(f"{key:26s}" + "".join(f"{str(figs[n][key]):>16s}" for n in names))

    print("\nper answer id and kind (passed/total):")
    tables = {n: per_label(results[n]) for n in names}
    for label in sorted(set().union(*tables.values()), key=lambda l: (not is_catalogue(l), l)):
        print(f"  {label:28s}" + "".join(
            f"{'%d/%d' % tuple(tables[n].get(label, [0, 0])):>16s}" for n in names))

    for n in names:
        print(f"\nconfusion of the failures, {n} (expected -> mainly answered):")
        for expected, got in sorted(confusion(results[n]).items()):
            print(f"  {expected:28s} " + ", ".join(f"{a} x{c}" for a, c in got.most_common()))
        fails = [r for r in results[n]["items"] if not r["passed"]]
        print(f"  false answers: {', '.join(figs[n]['false_answers']) or 'none'}")
        print(f"  false alarms: {', '.join(figs[n]['false_alarms']) or 'none'}")
        print(f"  failed items: {len(fails)}")


def check_floors(fig: Dict[str, Any]) -> List[str]:
    problems = []
    for key, (limit, kind) in FLOORS.items():
        value = fig[key]
        if value is None:
            problems.append(f"{key}: no items")
        elif (kind == "min" and value < limit) or (kind == "max" and value > limit):
            problems.append(f"{key} {100 * value:.1f}% {'below' if kind == 'min' else 'above'} "
                            f"{100 * limit:.0f}%")
    return problems


def evaluate(model: Path, questions: Path, out: Path, label: str) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"blind-{label}-") as work:
        for assistant in start_assistant(Path(work), model=model):
            return run_contract(assistant.url, assistant.token, questions, out / f"{label}.json")
    raise RuntimeError("the assistant did not start")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "tests" / "blind" / "test.yaml")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--baseline-model", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "blind")
    parser.add_argument("--floors", action="store_true", help="exit 1 below a floor")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    results = {}
    if args.baseline_model:
        results["baseline"] = evaluate(args.baseline_model, args.questions, args.out, "baseline")
    results["this model"] = evaluate(args.model, args.questions, args.out, "model")
    print(f"Blind set: {args.questions} ({len(results['this model']['items'])} questions, "
          f"{len(results['this model']['dialogues'])} dialogues), by the answer catalogue contract\n")
    print_report(results)
    (args.out / "figures.json").write_text(json.dumps(
        {n: figures(r) for n, r in results.items()}, indent=2))

    if args.floors:
        problems = check_floors(figures(results["this model"]))
        for problem in problems:
            print(f"FAIL: {problem}", file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
