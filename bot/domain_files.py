"""The assistant's domain, read from its folder as Rasa merges it.

The domain is split by concern (domain/core.yml, screening.yml, ...); Rasa
reads the folder (`--domain domain`) and merges the files. The staff console
and the tests read the same merged view here, without importing Rasa: lists
(intents, entities, actions) are joined, mappings (slots, forms, responses)
united, and a name defined twice is an error, as it would be a surprise.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import yaml

DOMAIN_DIR = Path(__file__).resolve().parent.parent / "domain"
LISTS = ("intents", "entities", "actions")
MAPPINGS = ("slots", "forms", "responses")


def load_domain(folder: Path = DOMAIN_DIR) -> Dict[str, Any]:
    merged: Dict[str, Any] = {key: [] for key in LISTS}
    merged.update({key: {} for key in MAPPINGS})
    for path in sorted(Path(folder).glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key in LISTS:
            merged[key] += part.get(key) or []
        for key in MAPPINGS:
            for name, value in (part.get(key) or {}).items():
                if name in merged[key]:
                    raise ValueError(f"{key[:-1]} {name!r} is defined twice in {folder}")
                merged[key][name] = value
        if "session_config" in part:
            merged["session_config"] = part["session_config"]
    return merged
