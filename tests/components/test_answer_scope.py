"""Answerability: a catalogue answer only for questions it covers."""
from __future__ import annotations

import numpy as np
import pytest
from rasa.shared.nlu.training_data.message import Message

from components.answer_scope import AnswerScope, ScopeRules

RULES = ScopeRules()


@pytest.mark.parametrize("question, facet", [
    ("how long does the cement last?", "cement_lifetime"),
    ("can they take the cement back out later?", "cement_lifetime"),
    ("how much does kyphoplasty cost with medicare", "cost"),
    ("when can I drive after it", "driving"),
    ("what exercises should i do afterwards", "exercise"),
    ("do i have to wear a brace", "brace"),
    ("can i take ibuprofen after the procedure", "medicines"),
    ("I'm allergic to contrast dye, is that a problem?", "allergy"),
    ("ice pack or heating pad for the sore spot?", "home_care"),
    ("can they do two levels at the same time", "levels"),
    ("can the cement be removed if she has problems with it", "cement_lifetime"),
    ("how long after the procedure until they discharge her", "stay"),
    ("they want an ECG first, why do they need that", "pre_tests"),
    ("kyphoplasty again on same level possible?", "repeat"),
    ("will the procedure fix the arthritis pain as well?", "other_conditions"),
    ("How long will she actually be under for the kyphoplasty?", "duration_of_operation"),
    ("could kyphoplasty leave someone paralysed?", "nerve_risks"),
    ("what should we watch for after kyphoplasty?", "watching_after"),
    ("is there a minimum age for kyphoplasty", "minimum_age"),
    ("can the cement crack if he bumps into something?", "cement_lifetime"),
    ("how long does insurance approval take for kyphoplasty?", "cost"),
    ("He got nervous about paralysis. How often does that actually happen?", "limits_in_numbers"),
    ("how much cement do they put in?", "procedure_details"),
    ("can the balloon pop inside the bone?", "procedure_details"),
    ("do they take a biopsy during the kyphoplasty?", "procedure_details"),
    ("does the bone cement have a smell?", "procedure_details"),
    ("How do they decide which vertebra to do?", "procedure_details"),
    ("will my dowagers hump go away after kyphoplasty", "posture"),
])
def test_questions_about_what_the_source_never_says(question, facet):
    assert facet in RULES.facets_asked(question)


@pytest.mark.parametrize("question", [
    "what is kyphoplasty", "how long is recovery", "does the balloon lift the bone?",
    "what do they fill the bone with", "how fast will I be back to normal",
])
def test_questions_the_catalogue_answers_name_no_uncovered_facet(question):
    assert RULES.facets_asked(question) == set()


def test_restoring_height_is_the_goals_answer_own_word_for_posture():
    assert RULES.uncovered("will the hump on my back go away?", "about/goals") == set()
    assert RULES.uncovered("will the hump on my back go away?", "recovery/pain_relief") == {"posture"}


def test_a_facet_named_only_to_deny_it_is_not_asked():
    text = "never had any leg numbness before or after, I was just wondering whether the balloon lifts the bone back up"
    assert RULES.facets_asked(text) == set()
    assert RULES.facets_asked("I had leg numbness after, could that be nerve damage?") == {"nerve_risks"}


def test_an_answer_may_declare_a_facet_it_covers():
    assert RULES.uncovered("what medicine puts me to sleep for it", "procedure/anesthesia") == set()
    assert RULES.uncovered("what medicine puts me to sleep for it", "procedure/overview") == {"medicines", "sleeping"}
    # the MRI answer: the fracture must still be active, not chronic
    assert RULES.uncovered("the break is 4 months old, is it too late", "eligibility/mri") == set()
    assert RULES.uncovered("the break is 4 months old, is it too late", "recovery/timeline") == {
        "timing_after_fracture"}


def test_how_do_i_know_if_i_could_have_it_is_not_asking_what_to_watch_for():
    assert RULES.facets_asked("how do i know if i could get kyphoplasty") == set()
    assert RULES.facets_asked("how do i know if the wound is infected") == {"watching_after"}


@pytest.mark.parametrize("text, answer, checklist", [
    ("is kyphoplasty right for me", "eligibility/not_suitable", True),
    ("would my dad qualify for it? he has myeloma", "eligibility/indications", True),
    ("Dad was just diagnosed with a compression fracture. Is he someone who might qualify for kyphoplasty?",
     "eligibility/indications", True),
    # who it is for in general keeps the catalogue answer
    ("who is kyphoplasty for", "eligibility/indications", False),
    ("who should not have kyphoplasty", "eligibility/not_suitable", False),
])
def test_who_it_suits_asked_about_oneself_starts_the_checklist(text, answer, checklist):
    message = parsed(text, "eligibility", answer)
    scope_with_examples().process([message])
    assert (message.get("intent")["name"] == "screening") is checklist


def test_a_question_that_points_back_is_read_with_the_sentence_before():
    text = "She takes Plavix and a baby aspirin. Is it dangerous for her to stop those for the procedure?"
    assert "medicines" in RULES.facets_asked(text)


def test_the_story_before_the_question_is_not_the_question():
    text = "My dad takes blood thinners and is 80. What is kyphoplasty?"
    assert RULES.facets_asked(text) == set()


@pytest.mark.parametrize("text, other", [
    ("whats the recovery like after keyhole gallbladder removal?", True),
    ("My dad is getting his hip replaced. How long before he can walk?", True),
    ("what happens during an MRI of the knee", True),
    ("I had a hip replacement, now my back fracture hurts: is kyphoplasty for me?", False),
    ("how long is recovery after kyphoplasty", False),
    # words other operations share do not make the question ours
    ("do they use bone cement in a knee replacement and can it come loose?", True),
    ("how many years does an artificial hip last", True),
    # a device someone lives with is not an operation they ask about
    ("she has a pacemaker, can she still have an mri", False),
    ("is pacemaker surgery painful", True),
    ("My grandson broke his wrist playing rugby and the cast itches, can he use a hairdryer?", True),
    ("she broke her wrist in the same fall as her spine fracture", False),
    ("how long is recovery after a pacemaker", True),
])
def test_other_operations(text, other):
    assert RULES.is_other_procedure(text) is other


def scope_with_examples() -> AnswerScope:
    vectors = np.eye(3, dtype=np.float32)
    labels = np.asarray(["procedure/cement", "not_covered", "out_of_scope"])
    return AnswerScope({}, vectors=vectors, labels=labels)


def parsed(text: str, intent: str, answer: str = None, embedding=None) -> Message:
    data = {"text": text, "intent": {"name": intent, "confidence": 0.9},
            "intent_ranking": [{"name": intent, "confidence": 0.9}]}
    if answer:
        data["response_selector"] = {"all_retrieval_intents": ["procedure"],
                                     "default": {"response": {"intent_response_key": answer}}}
    message = Message(data=data)
    if embedding is not None:
        from rasa.shared.nlu.training_data.features import Features
        message.add_features(Features(np.asarray([embedding], dtype=np.float32), "sentence", "text", "minilm"))
    return message


def test_a_near_miss_gets_the_honest_reply_instead_of_the_nearest_answer():
    message = parsed("is the cement permanent or does it wear out over time?", "procedure", "procedure/cement")
    scope_with_examples().process([message])
    assert message.get("intent")["name"] == "not_covered"
    assert message.get("answer_scope")["uncovered"] == ["cement_lifetime"]


def test_a_covered_question_keeps_its_answer():
    message = parsed("what do they fill the bone with", "procedure", "procedure/cement")
    scope_with_examples().process([message])
    assert message.get("intent")["name"] == "procedure"


@pytest.mark.parametrize("text, honest", [
    # a story like a screening request, but the question is one no answer covers
    ("My aunt's doctor said a brace might be enough. She's 83. Is a brace just as good as the cement?", True),
    # the checklist is the honest next step for these
    ("My mom is 91 with a fracture. Could kyphoplasty help her or is she too old?", False),
    ("My dad takes blood thinners. Can he have kyphoplasty for his fracture?", False),
])
def test_a_screening_request_that_asks_what_no_answer_covers(text, honest):
    message = parsed(text, "screening")
    scope_with_examples().process([message])
    assert (message.get("intent")["name"] == "not_covered") is honest


@pytest.mark.parametrize("text, checklist", [
    ("I fell off a ladder six weeks ago and my back still aches. Is kyphoplasty something for me?", True),
    ("had a fall 6 weeks ago, MRI is booked. wondering if I'm the right kind of patient for kyphoplasty", True),
    ("My mom broke a vertebra. Could kyphoplasty help her?", True),
    # what patients call the procedure
    ("My mother has a fractured vertebra from osteoporosis. Would the balloon cement thing help her?", True),
    ("Is the back op right for my dad? He cracked a bone in his spine in March.", True),
    ("Her physio suggested a brace for the fracture. Would the pain pills help her?", False),
    # a question no answer covers stays honest, even with a story
    ("I fell last month. Is it something for me, and how much will insurance pay?", False),
    ("how much does kyphoplasty cost", False),
])
def test_a_story_asking_whether_kyphoplasty_suits_them_starts_the_checklist(text, checklist):
    message = parsed(text, "not_covered")
    scope_with_examples().process([message])
    assert (message.get("intent")["name"] == "screening") is checklist


@pytest.mark.parametrize("intent", ["not_covered", "out_of_scope", "nlu_fallback"])
def test_no_answer_but_a_request_for_a_person_is_handed_over(intent):
    message = parsed("Could a nurse call me tomorrow? I work nights so anytime after 10am is best.", intent,
                     embedding=[0.0, 0.1, 1.0])
    scope_with_examples().process([message])
    assert message.get("intent")["name"] == "handoff"
    assert message.get("answer_scope")["person_asked"] is True


def test_an_answer_is_kept_when_a_person_is_asked_for_too():
    message = parsed("what do they fill the bone with? can a nurse call me", "procedure", "procedure/cement")
    scope_with_examples().process([message])
    assert message.get("intent")["name"] == "procedure"


def test_another_operation_is_out_of_scope():
    message = parsed("whats the recovery like after keyhole gallbladder removal?", "recovery", None)
    message.data["intent"]["name"] = "not_covered"
    scope_with_examples().process([message])
    assert message.get("intent")["name"] == "out_of_scope"


def test_a_low_confidence_message_near_unanswerable_examples_gets_that_reply():
    message = parsed("something odd", "nlu_fallback", embedding=[0.0, 0.1, 1.0])
    scope_with_examples().process([message])
    assert message.get("intent")["name"] == "out_of_scope"


def test_a_low_confidence_message_near_a_catalogue_example_stays_a_fallback():
    message = parsed("something odd", "nlu_fallback", embedding=[1.0, 0.1, 0.0])
    scope_with_examples().process([message])
    assert message.get("intent")["name"] == "nlu_fallback"


def test_a_fallback_the_safety_guard_demoted_from_emergency_is_a_worry_for_the_care_team():
    message = parsed("she's peeing normally and has no numbness down below, her back is just stiff",
                     "nlu_fallback", embedding=[1.0, 0.1, 0.0])
    message.set("safety", {"rules": [], "intent": 0.89, "demoted": True})
    scope_with_examples().process([message])
    assert message.get("intent")["name"] == "not_covered"
    assert message.get("answer_scope")["safety_demoted"] is True


def symptom(text: str, words: str) -> dict:
    return {"entity": "symptom", "value": words, "start": text.index(words), "end": text.index(words) + len(words)}


@pytest.mark.parametrize("text, words, honest", [
    ("the spot where they put the needle in is sore to touch, it's day two", "sore", True),
    ("my back is sore, can kyphoplasty help with that", "sore", False),     # asks, without a "?"
    ("the spot where the needle went in is sore, is that the cement?", "sore", False),
    ("back pain so bad, info on kyphoplasty please", "pain", False),        # asks for information
    ("pain relief after kyphoplasty", "pain", False),                        # a query typed as keywords
])
def test_a_symptom_told_with_nothing_asked_gets_no_catalogue_answer(text, words, honest):
    message = parsed(text, "procedure", "procedure/cement")
    message.set("entities", [symptom(text, words)])
    scope_with_examples().process([message])
    assert (message.get("intent")["name"] == "not_covered") is honest


def test_low_mood_without_crisis_words_gets_the_kinder_not_covered_wording():
    message = parsed("I've been feeling a bit down since my kyphoplasty, is that common?", "not_covered")
    scope_with_examples().process([message])
    assert {"entity": "concern", "value": "low_mood"}.items() <= message.get("entities")[0].items()


@pytest.mark.parametrize("text, low", [
    ("I've been feeling a bit down since my kyphoplasty", True),
    ("mom seems low and quiet since her procedure", True),
    ("he's been weepy all week", True),
    ("does low bone density change the cost?", False),
    ("when can i lie down flat after it", False),
])
def test_low_mood_words(text, low):
    assert bool(RULES.low_mood.search(text)) is low
