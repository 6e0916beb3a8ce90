"""Generated unanswered questions with a known grouping (tests and the gap benchmark).

Twelve things patients ask that the source document does not answer, each in
several wordings, varied by who asks about whom and by openings and endings, the
way messages arrive. Several topics share their frame ("when can I ... after
kyphoplasty?"), so a grouping that went by wording rather than meaning would
merge them. Never used against a real deployment's database.
"""
from __future__ import annotations

import random
from typing import Dict, List, Tuple

# topic -> wordings; {who} is the patient ("I", "my mother"...), {their} the possessive
TOPICS: Dict[str, List[str]] = {
    "cost": ["How much does kyphoplasty cost?", "what is the price of the procedure",
             "how expensive is kyphoplasty", "what will {who} have to pay for the operation",
             "how much money is the surgery without insurance"],
    "insurance": ["Will {their} insurance cover kyphoplasty?", "is the procedure covered by medicare",
                  "does health insurance pay for this surgery", "will medicare pay for {their} kyphoplasty"],
    "driving": ["When can {who} drive after kyphoplasty?", "how soon is driving allowed after the procedure",
                "can {who} drive a car a few days after the operation", "is it safe to drive after the surgery"],
    "duration": ["How long does the operation take?", "how many minutes is the procedure",
                 "how long will {who} be in the operating room", "what is the length of the kyphoplasty surgery"],
    "surgeon": ["Which surgeon should {who} choose for kyphoplasty?", "who is the best doctor for this procedure",
                "can you recommend a good spine surgeon", "which doctor at the clinic does kyphoplasty"],
    "parking": ["Where do we park at the hospital?", "is there parking at the clinic",
                "how much is parking at the hospital", "where can {who} leave the car on the day"],
    "fasting": ["Can {who} eat before the procedure?", "should {who} fast before the surgery",
                "how many hours before kyphoplasty must {who} stop eating",
                "is breakfast allowed on the morning of the operation"],
    "blood_thinners": ["Should {who} stop blood thinners before kyphoplasty?",
                       "can {who} keep taking aspirin before the surgery",
                       "what about warfarin before the procedure", "do {their} anticoagulants need to be paused"],
    "flying": ["Can {who} fly after kyphoplasty?", "is air travel safe after the procedure",
               "how soon can {who} take a plane after the surgery",
               "is a long flight ok a week after the operation"],
    "showering": ["When can {who} shower after kyphoplasty?", "can {who} take a bath after the procedure",
                  "how long must the wound stay dry", "is it ok to get the incision wet in the shower"],
    "work": ["When can {who} go back to work after kyphoplasty?", "how much time off work will {who} need",
             "how long is the sick leave after the operation", "can {who} return to the office the next week"],
    "waiting_list": ["How long is the waiting list for kyphoplasty?",
                     "how soon can {who} get an appointment for the procedure",
                     "what is the wait time for the surgery", "how many weeks until {who} can be operated on"],
}
PEOPLE = [("I", "my"), ("my mother", "her"), ("my husband", "his"), ("my dad", "his"), ("we", "our")]
OPENINGS = ["", "", "", "hi, ", "quick question: ", "hello. ", "please tell me ", "sorry to bother you, "]
ENDINGS = ["", "", "", " thanks", " please", "??", " thank you"]


def question(rng: random.Random, topic: str) -> str:
    who, their = rng.choice(PEOPLE)
    text = rng.choice(TOPICS[topic]).format(who=who, their=their)
    if text[:1].isupper() and text.split()[0] != "I" and rng.random() < 0.3:
        text = text[0].lower() + text[1:]
    return rng.choice(OPENINGS) + text + rng.choice(ENDINGS)


def questions(count: int, seed: int = 7, topics: List[str] | None = None) -> List[Tuple[str, str]]:
    """`count` (question, topic) pairs, topics drawn uniformly; the topic is the true group."""
    rng = random.Random(seed)
    names = topics or sorted(TOPICS)
    return [(question(rng, topic), topic) for topic in (rng.choice(names) for _ in range(count))]


def insert_questions(connection, items, answer: str = "utter_not_covered") -> None:  # type: ignore[no-untyped-def]
    """Writes one Rasa-format exchange per (sender, time, text) into `events`: the
    patient's message, then the bot reply `answer` (or a per-item reply kind when an
    item has a fourth element), then the disclaimer, as Rasa 3.6 stores them."""
    from sqlalchemy import insert

    from bot.console.events import create_events_table_for_tests, events
    from bot.console.sampledata import _bot, _user

    create_events_table_for_tests(connection)
    rows = []
    for item in items:
        sender, ts, text = item[:3]
        reply = item[3] if len(item) > 3 else answer
        rows.append(_user(sender, ts, text, "not_covered", 0.91, "rest"))
        rows.append(_bot(sender, ts + 0.01, reply, "I don't have a checked answer to that."))
        rows.append(_bot(sender, ts + 0.02, "utter_disclaimer", "I am an assistant, not a doctor."))
    if rows:
        connection.execute(insert(events), rows)
