"""server/policy_costs.py's replays: the states Rasa works out, whatever happens to a conversation.

Hypothesis grows one tracker event by event (messages with and without an
intent, actions hidden in rules, loops, slots, reverted messages and actions,
restarts, new sessions, a bounded event history) and after each event asks
for the past states with Rasa's code and with the replay, under the argument
sets the policies use, then edits what it was given as the featurizer does.
"""
from __future__ import annotations

from typing import Any, Dict, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActionReverted, ActiveLoop,
                                     BotUttered, DefinePrevUserUtteredFeaturization, EntitiesAdded, Event,
                                     FollowupAction, LoopInterrupted, Restarted, SessionStarted, SlotSet,
                                     UserUttered, UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker

from server import policy_costs

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, bye, inform]
entities: [choice]
slots:
  choice:
    type: categorical
    values: [yes, no]
    mappings: [{type: custom}]
  asked:
    type: bool
    influence_conversation: true
    mappings: [{type: custom}]
forms:
  checklist:
    required_slots: [choice]
responses:
  utter_answer: [{text: an answer}]
  utter_more: [{text: more}]
""")

ARGUMENTS: List[Dict[str, Any]] = [
    {},
    {"omit_unset_slots": True},
    {"ignore_rule_only_turns": True, "rule_only_data": {"rule_only_slots": ["asked"], "rule_only_loops": []}},
    {"ignore_rule_only_turns": True, "rule_only_data": None},
]

user_messages = st.builds(
    lambda text, intent, entities: UserUttered(text, {"name": intent} if intent else None, entities),
    st.sampled_from(["hi", "yes", None]), st.sampled_from(["greet", "bye", "inform", None]),
    st.sampled_from([[], [{"entity": "choice", "value": "yes"}]]))
events = st.one_of(
    st.just(ActionExecuted("action_listen")),
    user_messages,
    st.builds(ActionExecuted, st.sampled_from(["utter_answer", "utter_more", "checklist"]),
              hide_rule_turn=st.booleans()),
    st.builds(ActiveLoop, st.sampled_from(["checklist", None])),
    st.builds(SlotSet, st.sampled_from(["choice", "asked"]), st.sampled_from(["yes", "no", True, None])),
    st.sampled_from([UserUtteranceReverted(), ActionReverted(), Restarted(), SessionStarted(),
                     FollowupAction("utter_more"), BotUttered("words"), ActionExecutionRejected("checklist"),
                     LoopInterrupted(True), LoopInterrupted(False)]),
    st.builds(lambda: EntitiesAdded([{"entity": "choice", "value": "no"}])),
    st.builds(DefinePrevUserUtteredFeaturization, st.booleans()),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, min_size=1, max_size=30), st.sampled_from([None, None, 8]),
       st.lists(st.sampled_from(range(len(ARGUMENTS))), min_size=2, max_size=2))
def test_replayed_states_are_rasas_after_every_event(conversation: List[Event], history: Any, asked: List[int]):
    past_states = policy_costs.PastStates()
    tracker = DialogueStateTracker("patient", DOMAIN.slots, max_event_history=history)
    for event in conversation:
        tracker.update(event)
        for index in asked:
            expected = policy_costs._original_states_for_tracker_history(DOMAIN, tracker, **ARGUMENTS[index])
            ours = past_states.states(DOMAIN, tracker, **ARGUMENTS[index])
            assert ours == expected
            for state in ours:  # what callers do to the states they are given
                state.get("user", {}).pop("text", None)
                state.pop("slots", None)


def test_a_message_shared_by_rule_turns_is_edited_in_every_state_as_in_rasa(monkeypatch):
    """Rasa carries a message over to a rule turn by sharing one dict; the
    featurizer's edit of the last state then shows in the earlier ones too."""
    conversation = [ActionExecuted("action_listen"), UserUttered("hello"),  # no intent
                    ActionExecuted("utter_answer"), ActionExecuted("action_listen"),
                    UserUttered("bye", {"name": "bye"}), ActionExecuted("utter_more", hide_rule_turn=True)]
    featurizer = MaxHistoryTrackerFeaturizer(max_history=4)
    tracker = DialogueStateTracker.from_events("patient", conversation, slots=DOMAIN.slots)
    expected = featurizer.prediction_states([tracker], DOMAIN, ignore_rule_only_turns=True, rule_only_data={})
    monkeypatch.setattr(Domain, "states_for_tracker_history", policy_costs.states_for_tracker_history)
    for _ in range(2):  # the first call replays, the second reuses the replay
        assert featurizer.prediction_states([tracker], DOMAIN, ignore_rule_only_turns=True,
                                            rule_only_data={}) == expected


@pytest.mark.parametrize("edit", [DefinePrevUserUtteredFeaturization(True),
                                  EntitiesAdded([{"entity": "choice", "value": "no"}])])
def test_an_event_that_edits_the_last_message_in_place_is_replayed_from_the_start(edit):
    past_states = policy_costs.PastStates()
    tracker = DialogueStateTracker("patient", DOMAIN.slots)
    for event in [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}),
                  ActionExecuted("action_listen")]:
        tracker.update(event)
    past_states.states(DOMAIN, tracker)  # the replay now holds states made from "hi"
    tracker.update(edit)  # Rasa changes the "hi" event itself
    assert past_states.states(DOMAIN, tracker) == policy_costs._original_states_for_tracker_history(DOMAIN, tracker)
