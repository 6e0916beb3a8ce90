"""The answers a flagged message can be corrected to: NLU intents of the project."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import List

import yaml

from bot.domain_files import load_domain

from bot.settings import PROJECT_ROOT

ANSWER_ID = re.compile(r"^[a-z][a-z0-9_]*(/[a-z0-9_]+)?$")


@lru_cache(maxsize=1)
def expected_answers() -> List[str]:
    """`about/what_is`, ..., plus the intents that are not retrieval intents (`emergency`, ...)."""
    full: set = set()
    intents: List[str] = []
    try:
        responses = yaml.safe_load((PROJECT_ROOT / "data/nlu/responses.yml").read_text()) or {}
        full = {name[len("utter_"):] for name in (responses.get("responses") or {}) if "/" in name}
        domain = load_domain()
        intents = [i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []]
    except (OSError, yaml.YAMLError):
        pass
    retrieval = {name.split("/")[0] for name in full}
    return sorted(full | {i for i in intents if i not in retrieval})


def valid_expected(value: str) -> bool:
    known = expected_answers()
    return bool(ANSWER_ID.match(value)) and (not known or value in known)
