"""Generated conversations in Rasa's tracker store format (tests and the benchmark).

Events look like the ones Rasa 3.6 writes (same columns, same JSON shape of `data`):
user events with parse_data (intent, confidence, entities, response selector) and
input_channel, bot events with metadata.utter_action. Never used against a real
deployment's database.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timezone
from typing import Dict, List, Optional, Tuple

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from bot.console.events import create_events_table_for_tests, events
from bot.db.models import CallbackRequest, ScreeningResult

QUESTIONS: Dict[str, List[str]] = {
    "about/what_is": ["What is kyphoplasty?", "what is this procedure exactly", "explain kyphoplasty to me"],
    "about/goals": ["What is the goal of kyphoplasty?", "why would I have kyphoplasty"],
    "procedure/overview": ["What are the steps of the procedure?", "how is it done"],
    "procedure/anesthesia": ["Will I be asleep?", "do they put you under for this"],
    "procedure/cement": ["What is the bone cement made of?"],
    "recovery/timeline": ["How long does recovery take?", "when can I walk again after it"],
    "recovery/pain_relief": ["Will it relieve my pain quickly?"],
    "eligibility/indications": ["What fractures is it used for?"],
    "eligibility/mri": ["Why do I need an MRI first?"],
    "risks/overview": ["What are the risks?", "is kyphoplasty dangerous"],
    "risks/cement_leakage": ["What if the cement leaks?"],
    "chitchat/greet": ["hello", "hi there"],
    "chitchat/thanks": ["thank you", "thanks a lot"],
}
NOT_COVERED = ["How much does it cost with my insurance?", "Is Dr. Patel a good surgeon?",
               "can I drive to the hospital myself"]
FALLBACK = ["blorp zzkx", "the thing with the other thing", "hmm my aunt said something"]
EMERGENCY = ["my legs are numb and weak since the operation", "I can't breathe and have chest pain",
             "fever and the wound is leaking"]
CHANNELS = ["rest", "rest", "rest", "socketio", "twilio"]
OUTCOMES = ["commonly_considered", "needs_mri", "chronic", "not_painful", "no_known_fracture"]
NAMES = ["Maria Lopez", "John Smith", "Ana Silva", "Wei Chen", "Fatima Khan"]


def _user(sender: str, ts: float, text: str, intent: str, confidence: float, channel: str,
          retrieval: Optional[str] = None, entities: Optional[list] = None) -> Dict:
    parse_data = {"intent": {"name": intent, "confidence": confidence}, "entities": entities or [],
                  "text": text, "intent_ranking": [{"name": intent, "confidence": confidence}]}
    if retrieval:
        parse_data["response_selector"] = {"default": {"response": {
            "intent_response_key": retrieval, "confidence": round(confidence - 0.05, 4)}}}
    data = {"event": "user", "timestamp": ts, "text": text, "parse_data": parse_data,
            "input_channel": channel, "message_id": f"{sender}-{ts}", "metadata": {}}
    return {"sender_id": sender, "type_name": "user", "timestamp": ts, "intent_name": intent,
            "action_name": None, "data": json.dumps(data)}


def _bot(sender: str, ts: float, action: str, text: str) -> Dict:
    data = {"event": "bot", "timestamp": ts, "text": text, "metadata": {"utter_action": action},
            "data": {"buttons": None}}
    return {"sender_id": sender, "type_name": "bot", "timestamp": ts, "intent_name": None,
            "action_name": None, "data": json.dumps(data)}


def _action(sender: str, ts: float, name: str, type_name: str = "action") -> Dict:
    data = {"event": type_name, "timestamp": ts, "name": name}
    return {"sender_id": sender, "type_name": type_name, "timestamp": ts, "intent_name": None,
            "action_name": name, "data": json.dumps(data)}


def conversation(rng: random.Random, sender: str, start: float) -> Tuple[List[Dict], Dict]:
    """Events of one conversation, and facts about it (for project rows and assertions)."""
    channel = rng.choice(CHANNELS)
    ts = start
    rows = [_action(sender, ts, "action_session_start"), _action(sender, ts, None, "session_started")]
    facts = {"sender_id": sender, "channel": channel, "emergency": False, "not_covered": False,
             "fallback": False, "screening": None, "callback": None, "answers": []}
    kind = rng.random()
    turns = rng.randint(1, 6)
    for turn in range(turns):
        ts += rng.uniform(5, 90)
        roll = rng.random()
        if turn == 0 and kind < 0.05:
            text = rng.choice(EMERGENCY)
            rows.append(_user(sender, ts, text, "emergency", rng.uniform(0.8, 0.99), channel,
                              entities=[{"entity": "warning_sign", "value": text.split()[1]}]))
            rows.append(_bot(sender, ts + 0.01, "utter_emergency",
                             "This could be an emergency. Call 911 or your local emergency number now."))
            facts["emergency"] = True
        elif roll < 0.08:
            rows.append(_user(sender, ts, rng.choice(NOT_COVERED), "not_covered", rng.uniform(0.6, 0.95), channel))
            rows.append(_bot(sender, ts + 0.01, "utter_not_covered",
                             "I'm sorry, I don't have checked information about that."))
            facts["not_covered"] = True
        elif roll < 0.16:
            rows.append(_user(sender, ts, rng.choice(FALLBACK), "out_of_scope", rng.uniform(0.2, 0.45), channel))
            rows.append(_bot(sender, ts + 0.01, "utter_not_sure",
                             "I'm not sure I understood, and I don't want to guess."))
            facts["fallback"] = True
        else:
            answer = rng.choice(sorted(QUESTIONS))
            rows.append(_user(sender, ts, rng.choice(QUESTIONS[answer]), answer.split("/")[0],
                              rng.uniform(0.55, 0.99), channel, retrieval=answer))
            rows.append(_bot(sender, ts + 0.01, f"utter_{answer}", f"(catalogue answer {answer})"))
            facts["answers"].append(answer)
        rows.append(_action(sender, ts + 0.02, "action_listen"))
    if 0.05 <= kind < 0.15:
        facts["screening"] = rng.choice(OUTCOMES)
        if kind < 0.09:
            ts += 30
            phone = f"+1212555{rng.randint(1000, 9999)}"
            facts["callback"] = {"name": rng.choice(NAMES), "phone": phone}
            rows.append(_user(sender, ts, f"you can reach me at {phone}", "inform", 0.9, channel))
            rows.append(_bot(sender, ts + 0.01, "utter_callback_saved", "Thank you, the care team will call you."))
    facts["last_at"] = ts
    return rows, facts


def populate(connection: Connection, count: int, *, start: float, days: int = 30, seed: int = 7,
             prefix: str = "gen", batch: int = 5000) -> List[Dict]:
    """`count` conversations starting within `days` from `start` (epoch seconds)."""
    create_events_table_for_tests(connection)
    rng = random.Random(seed)
    pending: List[Dict] = []
    screenings, callbacks, all_facts = [], [], []
    for i in range(count):
        begin = start + rng.uniform(0, days * 86400)
        rows, facts = conversation(rng, f"{prefix}-{i:05d}", begin)
        pending.extend(rows)
        all_facts.append(facts)
        if len(pending) >= batch:
            connection.execute(insert(events), pending)
            pending = []
    if pending:
        connection.execute(insert(events), pending)
    screening_table, callback_table = ScreeningResult.__table__, CallbackRequest.__table__
    for facts in all_facts:
        if facts["screening"]:
            created = datetime.fromtimestamp(facts["last_at"], tz=timezone.utc)
            result = connection.execute(insert(screening_table).values(
                conversation_id=facts["sender_id"], channel=facts["channel"], created_at=created,
                answers={"fracture_found": "yes"}, outcome=facts["screening"], notes=[],
                flagged_for_care_team=facts["screening"] == "needs_mri"))
            if facts["callback"]:
                connection.execute(insert(callback_table).values(
                    conversation_id=facts["sender_id"], channel=facts["channel"], created_at=created,
                    screening_id=result.inserted_primary_key[0], consent=True, status="open",
                    **facts["callback"]))
    return all_facts
