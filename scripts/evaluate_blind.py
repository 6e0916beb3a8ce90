"""The blind set through a running assistant, exactly as outside evaluators run it.

    python -m scripts.evaluate_blind [--questions tests/blind/test.yaml] [--model M]
                                     [--baseline-ref COMMIT] [--out results/blind] [--floors]

Starts the assistant (action server + Rasa server on free ports, a fresh SQLite
file), runs ../shared/eval/run_eval.py against it by the answer catalogue
contract (REST message, then the tracker's `metadata.utter_action`), and prints
the figures the understanding floors are about, per answer id and kind, with a
confusion matrix. With `--baseline-ref` the same questions also go through
an older commit (its own code and model, from a worktree), side by side. It says which of the issue's targets are met;
with `--floors` it exits 1 when the blind test half falls below a regression
guard (GUARDS below). The test command runs it that way on
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

from tests.support.assistant_stack import MODEL, ROOT, baseline_tree, start_assistant

RUN_EVAL = ROOT.parent / "shared" / "eval" / "run_eval.py"
KINDS = ("screening", "emergency", "not_covered", "out_of_scope", "handoff", "chitchat")
# (figure, limit, "min" or "max"). TARGETS are the understanding issue's floors;
# GUARDS are what the test command enforces on the blind test half: the figures
# measured there when it was first reported (README), less a little for
# retraining noise, so any regression fails loudly. Emergency recall has no slack.
TARGETS = {
    "catalogue_accuracy": (0.95, "min"),
    "not_covered_recall": (0.90, "min"),
    "false_answer_rate": (0.02, "max"),
    "emergency_recall": (1.00, "min"),
    "false_alarm_rate": (0.02, "max"),
    "checklist_recall": (0.95, "min"),
}
GUARDS = {
    "catalogue_accuracy": (0.93, "min"),
    "not_covered_recall": (0.72, "min"),
    "false_answer_rate": (0.10, "max"),
    "emergency_recall": (1.00, "min"),
    "false_alarm_rate": (0.08, "max"),
    "checklist_recall": (0.85, "min"),
}

# Per set, by its path under tests/blind: the level measured when the current
# design was reported (docs/design.md), less a little for retraining noise;
# emergency recall exactly as measured. The targets are not met on
# every set yet, and these guards keep each from getting worse.
GUARDS_BY_SET: Dict[str, Dict[str, Any]] = {
    "test.yaml": {"catalogue_accuracy": (0.93, "min"), "not_covered_recall": (0.85, "min"),
                  "false_answer_rate": (0.06, "max"), "emergency_recall": (0.96, "min"),
                  "false_alarm_rate": (0.02, "max"), "checklist_recall": (0.93, "min")},
    "round2/test.yaml": {"catalogue_accuracy": (0.88, "min"), "not_covered_recall": (0.80, "min"),
                         "false_answer_rate": (0.07, "max"), "emergency_recall": (1.00, "min"),
                         "false_alarm_rate": (0.04, "max"), "checklist_recall": (0.89, "min")},
    # 26 catalogue questions and 1 checklist request: safety is what this set measures
    "round3/test.yaml": {"catalogue_accuracy": (0.55, "min"), "not_covered_recall": (0.80, "min"),
                         "false_answer_rate": (0.04, "max"), "emergency_recall": (0.955, "min"),
                         "false_alarm_rate": (0.17, "max"), "checklist_recall": (0.0, "min")},
    # Round four: safety only (long stories hiding an emergency, look-alike worries,
    # candidacy stories); it has no catalogue questions
    "round4/test.yaml": {"catalogue_accuracy": (None, "min"), "not_covered_recall": (0.93, "min"),
                         "false_answer_rate": (0.04, "max"), "emergency_recall": (0.91, "min"),
                         "false_alarm_rate": (0.10, "max"), "checklist_recall": (0.60, "min")},
    # Round five (written 2026-12-01), first measured after the designs were chosen
    # on its development half: 35 catalogue questions, 71 not covered or unrelated,
    # 20 emergencies, 14 checklist requests
    "round5/test.yaml": {"catalogue_accuracy": (0.83, "min"), "not_covered_recall": (0.83, "min"),
                         "false_answer_rate": (0.05, "max"), "emergency_recall": (1.00, "min"),
                         "false_alarm_rate": (0.05, "max"), "checklist_recall": (0.92, "min")},
    # Round six (written 2026-12-01, fifth session), first measured after the designs
    # were chosen on its development half: 42 catalogue questions, 102 not covered
    # or unrelated, 25 emergencies, 15 checklist requests
    "round6/test.yaml": {"catalogue_accuracy": (0.76, "min"), "not_covered_recall": (0.63, "min"),
                         "false_answer_rate": (0.09, "max"), "emergency_recall": (1.00, "min"),
                         "false_alarm_rate": (0.08, "max"), "checklist_recall": (0.86, "min")},
    # Round seven (written the same day), first measured after the designs were
    # chosen on its development half: 48 catalogue questions, 100 not covered or
    # unrelated, 25 emergencies, 15 checklist requests
    "round7/test.yaml": {"catalogue_accuracy": (0.70, "min"), "not_covered_recall": (0.76, "min"),
                         "false_answer_rate": (0.07, "max"), "emergency_recall": (1.00, "min"),
                         "false_alarm_rate": (0.06, "max"), "checklist_recall": (0.80, "min")},
}


def guards_for(questions: Path) -> Dict[str, Any]:
    """The regression guards of one blind set (each set has its own measured level)."""
    try:
        name = Path(questions).resolve().relative_to(ROOT / "tests" / "blind").as_posix()
    except ValueError:
        name = ""
    return {**GUARDS, **GUARDS_BY_SET.get(name, {})}


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
    if "emergency" in answers:
        return "emergency"
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


def save_confusion(result: Dict[str, Any], path: Path) -> None:
    """Expected answer or kind against what was mainly answered, every item."""
    from scripts.evaluate_nlu import save_confusion_matrix  # matplotlib only when needed

    rows = [{"answer": r["expect"],
             "predicted_answer": r["expect"] if r["passed"] else
             ("ERROR" if r["error"] else main_answer(r["answers"]))}
            for r in result["items"]]
    save_confusion_matrix(rows, path, title="Blind set: answer / reply-kind confusion")


def _pct(x: Optional[float]) -> str:
    return "  n/a " if x is None else f"{100 * x:5.1f}%"


def print_report(results: Dict[str, Dict[str, Any]], guards: Optional[Dict[str, Any]] = None) -> None:
    names = list(results)
    figs = {name: figures(results[name]) for name in names}
    print(f"{'figure':26s}" + "".join(f"{n:>16s}" for n in names) + "   guard     target")
    for key in ("accuracy", "catalogue_accuracy", "not_covered_recall", "false_answer_rate",
                "emergency_recall", "false_alarm_rate", "checklist_recall"):
        limits = [table.get(key) for table in (guards or GUARDS, TARGETS)]
        limit_text = "   ".join(f"{'>=' if lim[1] == 'min' else '<='} {100 * lim[0]:3.0f}%"
                                if lim and lim[0] is not None else "   -   " for lim in limits)
        print(f"{key:26s}" + "".join(f"{_pct(figs[n][key]):>16s}" for n in names) + f"   {limit_text}")
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


def check_floors(fig: Dict[str, Any], limits: Dict[str, Any]) -> List[str]:
    problems = []
    for key, (limit, kind) in limits.items():
        value = fig[key]
        if limit is None:  # a figure this set does not measure
            continue
        if value is None:
            problems.append(f"{key}: no items")
        elif (kind == "min" and value < limit) or (kind == "max" and value > limit):
            problems.append(f"{key} {100 * value:.1f}% {'below' if kind == 'min' else 'above'} "
                            f"{100 * limit:.0f}%")
    return problems


def evaluate(model: Optional[Path], questions: Path, out: Path, label: str, root: Path = ROOT) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"blind-{label}-") as work:
        for assistant in start_assistant(Path(work), model=model, root=root):
            return run_contract(assistant.url, assistant.token, questions, out / f"{label}.json")
    raise RuntimeError("the assistant did not start")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "tests" / "blind" / "test.yaml")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--baseline-ref", default=None,
                        help="a git commit to compare with, run from its own checkout (tests/support/assistant_stack.baseline_tree)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "blind")
    parser.add_argument("--floors", action="store_true", help="exit 1 below a floor")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    results = {}
    if args.baseline_ref:
        results["baseline"] = evaluate(None, args.questions, args.out, "baseline",
                                       root=baseline_tree(args.baseline_ref))
    results["this model"] = evaluate(args.model, args.questions, args.out, "model")
    print(f"Blind set: {args.questions} ({len(results['this model']['items'])} questions, "
          f"{len(results['this model']['dialogues'])} dialogues), by the answer catalogue contract\n")
    print_report(results, guards_for(args.questions))
    (args.out / "figures.json").write_text(json.dumps(
        {n: figures(r) for n, r in results.items()}, indent=2))
    save_confusion(results["this model"], args.out / "confusion_matrix.png")
    print(f"\nconfusion matrix: {args.out / 'confusion_matrix.png'}; runner output: {args.out}/*.json")

    measured = figures(results["this model"])
    missed = check_floors(measured, TARGETS)
    print(f"\nthe understanding issue's targets: {'all met' if not missed else 'not met: ' + '; '.join(missed)}")
    if args.floors:
        problems = check_floors(measured, guards_for(args.questions))
        for problem in problems:
            print(f"FAIL: {problem} (regression guard)", file=sys.stderr)
        if not problems:
            print("regression guards: all hold")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
