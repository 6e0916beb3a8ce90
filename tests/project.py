"""Where the project's facts live, read once for every test (one place per fact)."""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, List

import yaml

from bot.domain_files import load_domain

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
SOURCE_DOCUMENT = SHARED / "source" / "kyphoplasty.md"
CATALOGUE_CONTRACT = SHARED / "answer-catalogue.md"
RESPONSES_FILE = ROOT / "data" / "nlu" / "responses.yml"
DOMAIN_DIR = ROOT / "domain"


@lru_cache(maxsize=None)
def catalogue_responses() -> Dict[str, dict]:
    """`utter_<answer id>` -> its single response variation, from data/nlu/responses.yml."""
    responses = yaml.safe_load(RESPONSES_FILE.read_text(encoding="utf-8"))["responses"]
    return {name: variations[0] for name, variations in responses.items()}


@lru_cache(maxsize=None)
def domain() -> dict:
    return load_domain(DOMAIN_DIR)


def contract_answer_ids() -> List[str]:
    """Answer ids fixed by the contract: first-column `<category>/<topic>` cells."""
    return re.findall(r"^\| `([a-z_]+/[a-z_]+)` \|", CATALOGUE_CONTRACT.read_text(), re.M)


def contract_reply_kinds() -> List[str]:
    """Reply kinds fixed by the contract: first-column single-word cells of the kinds table."""
    text = CATALOGUE_CONTRACT.read_text()
    kinds_table = text[text.index("| kind |"):]
    return re.findall(r"^\| `([a-z_]+)` \|", kinds_table, re.M)


def normalise_whitespace(text: str) -> str:
    return " ".join(text.split())
