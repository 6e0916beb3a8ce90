"""The catalogue: complete, faithful to the source, plain, and cited word for word."""
from __future__ import annotations

import re

import pytest
import textstat

from tests.project import (
    SOURCE_DOCUMENT,
    catalogue_responses,
    contract_answer_ids,
    contract_reply_kinds,
    domain,
    normalise_whitespace,
)

SOURCE_TEXT = normalise_whitespace(SOURCE_DOCUMENT.read_text(encoding="utf-8"))
CITED = {
    name: response
    for name, response in catalogue_responses().items()
    if not name.startswith("utter_chitchat/")
}
NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve twenty thirty "
    "forty fifty hundred thousand half dozen once twice percent"
).split()
TIME_UNITS = r"(?:second|minute|hour|day|night|week|month|year)s?"


def numbers_and_durations(text: str) -> set[str]:
    """Every number, percentage and time unit a sentence states."""
    lowered = text.lower()
    found = set(re.findall(r"\d+(?:[.,]\d+)?\s*%?", lowered))
    found |= {w for w in re.findall(r"[a-z]+", lowered) if w in NUMBER_WORDS}
    found |= set(re.findall(rf"\b{TIME_UNITS}\b", lowered))
    return {item.strip() for item in found}


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def test_every_contract_answer_id_has_a_catalogue_response():
    missing = [a for a in contract_answer_ids() if f"utter_{a}" not in catalogue_responses()]
    assert contract_answer_ids(), "could not read answer ids from the contract"
    assert missing == []


def test_every_reply_kind_has_its_response_or_form():
    responses = domain()["responses"]
    for kind in contract_reply_kinds():
        if kind == "screening":
            assert "screening_form" in domain().get("forms", {}), "screening kind needs its form"
        elif kind == "chitchat":
            assert any(n.startswith("utter_chitchat/") for n in catalogue_responses())
        else:
            assert f"utter_{kind}" in responses, kind


@pytest.mark.parametrize("name", sorted(CITED))
def test_cited_passages_are_in_the_source_word_for_word(name):
    sources = CITED[name].get("metadata", {}).get("source")
    assert sources, f"{name} cites no passage"
    for passage in sources:
        assert normalise_whitespace(passage) in SOURCE_TEXT, passage


@pytest.mark.parametrize("name", sorted(CITED))
def test_every_number_and_duration_appears_in_the_cited_passages(name):
    response = CITED[name]
    cited = " ".join(response["metadata"]["source"])
    unsupported = numbers_and_durations(response["text"]) - numbers_and_durations(cited)
    assert unsupported == set(), f"{name} states {unsupported} that its passages do not"


@pytest.mark.parametrize("name", sorted(CITED))
def test_answers_are_two_to_four_sentences(name):
    assert 2 <= len(sentences(CITED[name]["text"])) <= 4


def patient_facing_texts():
    for name, response in catalogue_responses().items():
        yield name, response["text"]
    for name, variations in domain()["responses"].items():
        for variation in variations:
            yield name, variation["text"]


@pytest.mark.parametrize("name,text", list(patient_facing_texts()))
def test_every_reply_reads_at_grade_8_or_lower(name, text):
    grade = textstat.flesch_kincaid_grade(text)
    assert grade <= 8.0, f"{name} reads at grade {grade}"


def test_the_number_check_catches_an_invented_figure():
    # the checker itself must be able to fail
    invented = "Most people recover in 3 days, and 95% feel better within a month."
    assert numbers_and_durations(invented) - numbers_and_durations(
        CITED["utter_recovery/timeline"]["metadata"]["source"][0]
    ) == {"3", "95%", "days", "month"}
