"""The screening checklist: form validation, the outcome, and its record for staff.

Slot order puts warning signs first: an emergency must not wait for six other
questions. Unclear answers get one clearer re-ask (the `utter_ask_<slot>`
response has a variation for `screening_clarify == <slot>`), then are noted as
"not sure", which the outcome rules treat cautiously: the form never loops.

Every numbered question says where the person is ("Question 3 of 7"): the
validator sets `screening_step` and `screening_total`, template variables of
the `utter_ask_<slot>` responses. The total counts the questions of the path
the answers so far lead down (a fall, not osteoporosis, skips the bone
treatment question: 7 becomes 6), so it is never a promise the checklist
breaks. "Go back" (read by rule, components/commands.py) clears the previous
answer and the form asks that question again. The questions speak of the
person the conversation is about (actions/about_person.py): variations on
`checklist_for`, set when the checklist starts.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import answers
from actions.about_person import about_whom, user_texts_newest_first
from actions.handoff import care_team_contact
from actions.run_keys import form_run_key
from actions.screening_rules import answers_from_slots, decide, outcome_response
from bot.db.repository import save_screening

logger = logging.getLogger(__name__)

FORM_SLOTS = [
    "screening_consent",
    "warning_signs",
    "fracture_found",
    "fracture_cause",
    "pain_limits",
    "mri_active",
    "osteoporosis_treated",
    "risk_conditions",
]
# The numbered questions: the consent question ("Shall we start?") is not one.
QUESTIONS = FORM_SLOTS[1:]
HELPER_SLOTS = ["screening_clarify", "screening_unclear", "screening_step", "screening_total"]
# What an answer that stays unclear after the re-ask is recorded as.
UNCLEAR_DEFAULT = {
    "screening_consent": "no",
    "warning_signs": "unsure",  # utter_screening_warning_signs_unsure says what to do
    "fracture_found": "unsure",
    "fracture_cause": "unknown",
    "pain_limits": "unsure",
    "mri_active": "unknown",
    "osteoporosis_treated": "unknown",
    "risk_conditions": "unsure",
}


# Every value a checklist answer can take once read (actions/answers.py). The
# outcome action keeps only these, whatever path a slot value came by (a forged
# button payload, a replayed call): anything else counts as not answered.
ALLOWED_ANSWERS: Dict[str, set] = {
    "screening_consent": {"yes", "no"},
    "warning_signs": {"yes", "no", "unsure"},
    "fracture_found": {"yes", "no", "unsure"},
    "fracture_cause": {"osteoporosis", "cancer", "injury", "unknown"},
    "pain_limits": {"yes", "no", "unsure"},
    "mri_active": {"yes", "no", "no_mri", "unknown"},
    "osteoporosis_treated": {"yes", "no", "unknown"},
    "risk_conditions": {"none", "infection", "bleeding", "both", "unsure"},
}


def checked_answers(slots: Dict[str, Any]) -> Dict[str, Optional[str]]:
    return {slot: (slots.get(slot) if slots.get(slot) in ALLOWED_ANSWERS[slot] else None)
            for slot in FORM_SLOTS}


def _consent(message: Dict[str, Any]) -> Optional[str]:
    given = answers.consent(message)
    return None if given is None else ("yes" if given else "no")


READERS: Dict[str, Callable[[Dict[str, Any]], Optional[str]]] = {
    "screening_consent": _consent,
    "warning_signs": answers.warning_signs,
    "fracture_found": answers.fracture_found,
    "fracture_cause": answers.fracture_cause,
    "pain_limits": answers.yes_no_unsure,
    "mri_active": answers.mri_active,
    "osteoporosis_treated": answers.osteoporosis_treated,
    "risk_conditions": answers.risk_conditions,
}


def required_screening_slots(slots: Dict[str, Any]) -> List[str]:
    """The questions still relevant given the answers so far."""
    if slots.get("screening_consent") == "no" or slots.get("warning_signs") == "yes":
        return []
    if slots.get("fracture_found") in ("no", "unsure"):
        return ["screening_consent", "warning_signs", "fracture_found"]
    required = list(FORM_SLOTS)
    if slots.get("fracture_cause") not in (None, "osteoporosis"):
        required.remove("osteoporosis_treated")
    return required


def question_path(slots: Dict[str, Any]) -> List[str]:
    """The numbered questions this checklist asks, given the answers so far."""
    return [slot for slot in required_screening_slots(slots) if slot in QUESTIONS]


def progress(slots: Dict[str, Any], asking: Optional[str]) -> List[EventType]:
    """`screening_step` / `screening_total` for the question about to be asked."""
    path = question_path(slots)
    if asking not in path:
        return []
    return [SlotSet("screening_step", path.index(asking) + 1), SlotSet("screening_total", len(path))]


class ValidateScreeningForm(FormValidationAction):
    """Reads each answer; one clearer re-ask when unclear, then 'not sure'."""

    def name(self) -> Text:
        return "validate_screening_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        # rasa-sdk applies the validated slots to `tracker`; the question Rasa's
        # form asks next is the first empty required one (rasa-sdk names it only
        # when the required slots differ from the domain's), with its progress
        # Only a change is returned: any slot event would tell Rasa's form that
        # the message answered something, and a question in between ("how long
        # is recovery?") must be rejected by the form so the rules answer it.
        events = await super().run(dispatcher, tracker, domain)
        asking = next((slot for slot in required_screening_slots(tracker.slots)
                       if tracker.slots.get(slot) is None), None)
        return events + [event for event in progress(tracker.slots, asking)
                         if tracker.slots.get(event["name"]) != event["value"]]

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        return required_screening_slots(tracker.slots)

    def validate_screening_consent(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self.read_answer("screening_consent", value, dispatcher, tracker)

    def validate_warning_signs(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        update = self.read_answer("warning_signs", value, dispatcher, tracker, unsure_is_unclear=True)
        if update.get("warning_signs") == "yes":
            dispatcher.utter_message(response="utter_emergency")
        elif update.get("warning_signs") == "unsure":
            # not sure twice: no emergency verdict, but exactly what to do if one applies
            dispatcher.utter_message(response="utter_screening_warning_signs_unsure")
        return update

    def validate_fracture_found(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self.read_answer("fracture_found", value, dispatcher, tracker)

    def validate_fracture_cause(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self.read_answer("fracture_cause", value, dispatcher, tracker)

    def validate_pain_limits(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self.read_answer("pain_limits", value, dispatcher, tracker)

    def validate_mri_active(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if value is not None and READERS["mri_active"](tracker.latest_message or {}) == "explain":
            # not an unclear answer: explain, then the same question again
            dispatcher.utter_message(response="utter_explain_mri")
            return {"mri_active": None}
        return self.read_answer("mri_active", value, dispatcher, tracker)

    def validate_osteoporosis_treated(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self.read_answer("osteoporosis_treated", value, dispatcher, tracker)

    def validate_risk_conditions(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self.read_answer("risk_conditions", value, dispatcher, tracker)

    @staticmethod
    def read_answer(
        slot: Text, extracted: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        unsure_is_unclear: bool = False,
    ) -> Dict[Text, Any]:
        """`unsure_is_unclear`: a first "not sure" gets the clearer question too
        (the warning signs, asked one by one), not only an unreadable answer."""
        if extracted is None:
            # cleared, not answered (action_start_screening resets every slot)
            return {}
        value = READERS[slot](tracker.latest_message or {})
        unclear: List[str] = list(tracker.get_slot("screening_unclear") or [])
        first_time = slot not in unclear
        if value is not None and not (unsure_is_unclear and value == "unsure" and first_time):
            return {slot: value, "screening_clarify": None}
        if first_time:
            # ask once more; utter_ask_<slot> has a clearer variation for this
            if value is None:
                dispatcher.utter_message(response="utter_screening_not_understood")
            return {slot: None, "screening_clarify": slot, "screening_unclear": unclear + [slot]}
        if slot != "warning_signs":  # the warning signs get their own message
            dispatcher.utter_message(response="utter_screening_noted_unsure")
        return {slot: value or UNCLEAR_DEFAULT[slot], "screening_clarify": None}


class ActionStartScreening(Action):
    """Clears earlier checklist answers so the checklist starts afresh, and reads
    whom it is about from the person's own words ("my mom")."""

    def name(self) -> Text:
        return "action_start_screening"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        person = about_whom(user_texts_newest_first(tracker.events))
        return [SlotSet(slot, None) for slot in FORM_SLOTS + HELPER_SLOTS + ["screening_id"]] + [
            SlotSet("about_person", person), SlotSet("checklist_for", "self" if person is None else "someone_else")]


class ActionScreeningGoBack(Action):
    """ "Go back": clears the previous answer; the form then asks it again.

    Only answers inside the running checklist can be changed: an emergency
    verdict ends the checklist, so nothing said after it can undo it.
    """

    def name(self) -> Text:
        return "action_screening_go_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.active_loop.get("name") != "screening_form":
            dispatcher.utter_message(response="utter_screening_go_back_outside")
            return []
        asking = tracker.get_slot("requested_slot")
        path = question_path(tracker.slots)
        if asking not in path or path.index(asking) == 0:
            dispatcher.utter_message(response="utter_screening_nothing_to_go_back")
            return []
        previous = path[path.index(asking) - 1]
        unclear = [slot for slot in tracker.get_slot("screening_unclear") or [] if slot != previous]
        dispatcher.utter_message(response="utter_screening_going_back")
        slots = {**tracker.slots, previous: None}
        return [SlotSet(previous, None), SlotSet("screening_clarify", None),
                SlotSet("screening_unclear", unclear), SlotSet("requested_slot", previous)] + progress(slots, previous)


def _said_this_turn(tracker: Tracker, response: Text) -> bool:
    """Whether the bot already uttered `response` since the person's last message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and (event.get("metadata") or {}).get("utter_action") == response:
            return True
    return False


def notes_text(notes: List[Any], domain: DomainDict) -> Text:
    """The notes' sentences from the domain's utter_screening_note_* responses,
    each on a line of its own after the outcome's main line ("" when none
    applies). A line break, not a blank line: channels split a text at blank
    lines into separate bubbles, which is what the one message replaces."""
    texts = []
    for note in notes:
        variations = (domain.get("responses") or {}).get(f"utter_screening_note_{note.value}") or []
        text = next((v.get("text") for v in variations if v.get("text")), None)
        if text:
            texts.append(text.strip())
    return "".join("\n" + text for text in texts)


class ActionScreeningOutcome(Action):
    """Utters the outcome (its notes in the same message), stores the result,
    offers a callback."""

    def name(self) -> Text:
        return "action_screening_outcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        reset = [SlotSet(slot, None) for slot in FORM_SLOTS + HELPER_SLOTS]
        checked = checked_answers(tracker.slots)
        if checked["screening_consent"] != "yes" and checked["warning_signs"] != "yes":
            dispatcher.utter_message(response="utter_screening_declined")
            return reset

        answered = {slot: checked[slot] for slot in FORM_SLOTS[1:]}
        result = decide(answers_from_slots(answered))
        response = outcome_response(result.outcome)
        if response:
            # One message, the main line first: the notes that apply go under it
            # through the response's {screening_notes} variable (their sentences
            # are the utter_screening_note_* responses in domain/screening.yml).
            dispatcher.utter_message(response=response, screening_notes=notes_text(result.notes, domain))
        elif not _said_this_turn(tracker, "utter_emergency"):
            # The validator gives the emergency reply as the answer comes in; when
            # Rasa skipped validation (a "yes" right after a question that
            # interrupted the checklist), it is given here, never not at all.
            dispatcher.utter_message(response="utter_emergency")

        try:
            screening_id = save_screening(
                conversation_id=tracker.sender_id,
                channel=tracker.get_latest_input_channel(),
                answers={k: v for k, v in answered.items() if v is not None},
                outcome=result.outcome.value,
                notes=[note.value for note in result.notes],
                flagged_for_care_team=result.flagged_for_care_team,
                run_key=form_run_key(tracker, "screening_form"),
            )
        except Exception as error:  # noqa: BLE001 - any database failure
            # The answers are health data: log the failure, never the answers.
            logger.error("Could not store a screening result: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_screening_not_saved", **care_team_contact())
            return reset

        events = reset + [SlotSet("screening_id", screening_id)]
        if response:
            dispatcher.utter_message(response="utter_offer_callback")
            events.append(SlotSet("callback_offered", True))
        return events
