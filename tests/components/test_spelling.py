"""SpellingCorrector: typing mistakes corrected, the domain's own words first."""
from __future__ import annotations

import pytest

from components.spelling import SpellingCorrector

CORRECTOR = SpellingCorrector({}, None, None, vocabulary=["brace", "pills", "kyphoplasty", "anesthesia"])


@pytest.mark.parametrize("typed, meant", [
    # English alone would pick the commoner word ("brave", "piss")
    ("do u need a back brase after kyphoplasty", "do u need a back brace after kyphoplasty"),
    ("how long will she need pain pils", "how long will she need pain pills"),
    ("what anesthesa do they use", "what anesthesia do they use"),
    ("recovry time", "recovery time"),
])
def test_one_edit_away_is_corrected(typed, meant):
    assert CORRECTOR.correct(typed)[0] == meant


def test_known_and_short_words_are_left_alone():
    assert CORRECTOR.correct("is kyphoplasty ok for me")[0] == "is kyphoplasty ok for me"


def test_among_the_domain_words_the_one_the_training_data_uses_most_wins():
    """"erase" came with "erase my data"; "brace" is asked about far more often."""
    corrector = SpellingCorrector({}, None, None, vocabulary={"brace": 40, "erase": 3})
    assert corrector.correct("do u need a back brase")[0] == "do u need a back brace"
    # a model trained before word counts were kept still loads its list of words
    assert SpellingCorrector({}, None, None, vocabulary=["brace"]).counts == {"brace": 1}
