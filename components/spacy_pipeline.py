"""Builds the project's spaCy pipeline from data, so nothing is downloaded at run time.

The pipeline is spaCy's blank English tokenizer plus an EntityRuler loaded from
`entity_patterns.yml`. Rasa's `SpacyNLP` loads it from disk (see config.yml) and
`SpacyEntityExtractor` turns its matches into Rasa entities.

    python -m components.spacy_pipeline            # build into var/spacy/en_kyphoplasty
    python -m components.spacy_pipeline --check    # exit 1 if the build is stale
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any, Dict, List

import spacy
import yaml
from spacy.language import Language

PATTERNS_FILE = Path(__file__).with_name("entity_patterns.yml")
DEFAULT_OUTPUT = Path("var/spacy/en_kyphoplasty")
FINGERPRINT_FILE = "patterns.sha256"


def load_patterns(path: Path = PATTERNS_FILE) -> List[Dict[str, Any]]:
    """Returns EntityRuler patterns: one dict per token pattern, labelled."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    _reject_non_strings(spec["patterns"])
    return [
        {"label": label, "pattern": pattern}
        for label, patterns in spec["patterns"].items()
        for pattern in patterns
    ]


def _reject_non_strings(node: Any) -> None:
    """YAML 1.1 reads bare `on`, `off`, `no` as booleans; a pattern must say "on"."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("LIKE_NUM", "OP", "IS_SENT_START"):
                continue
            _reject_non_strings(value)
    elif isinstance(node, list):
        for item in node:
            _reject_non_strings(item)
    elif not isinstance(node, str):
        raise ValueError(f"entity pattern value {node!r} is not a string: quote it")


def build_pipeline(path: Path = PATTERNS_FILE) -> Language:
    nlp = spacy.blank("en")
    # Rule matches must win over nothing else: the pipeline has no statistical NER.
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(load_patterns(path))
    nlp.meta["name"] = "en_kyphoplasty"
    nlp.meta["description"] = "Blank English tokenizer with rule-based kyphoplasty entities"
    return nlp


def patterns_fingerprint(path: Path = PATTERNS_FILE) -> str:
    return hashlib.sha256(path.read_bytes() + spacy.__version__.encode()).hexdigest()


def is_current(output: Path = DEFAULT_OUTPUT) -> bool:
    stamp = output / FINGERPRINT_FILE
    return stamp.exists() and stamp.read_text().strip() == patterns_fingerprint()


def build(output: Path = DEFAULT_OUTPUT) -> Path:
    nlp = build_pipeline()
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    (output / FINGERPRINT_FILE).write_text(patterns_fingerprint())
    return output


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="only report staleness")
    args = parser.parse_args(argv)
    if args.check:
        return 0 if is_current(args.output) else 1
    if is_current(args.output):
        print(f"spaCy pipeline up to date: {args.output}")
        return 0
    print(f"spaCy pipeline built: {build(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
