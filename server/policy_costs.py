"""Two costs of Rasa's dialogue policies, paid once instead of on every call.

Each turn runs two or three predictions (after the message, after each
action), and each prediction asks RulePolicy twice (text, then intent) and
MemoizationPolicy once for the conversation's past states. Profiled
(docs/design.md, "Where a turn's time goes"), two things were most of a
prediction:

- **Past states.** `Domain.states_for_tracker_history` replays the whole
  conversation from its start on a fresh tracker for every call: a copy of the
  tracker per event, and a state per action. Within a turn it is asked five or
  six times about the same events plus one or two new ones. Here, per
  conversation and per set of arguments, the replay is kept where it stopped:
  the events it consumed (the very objects, checked by identity), the tracker
  replayed to there and the states so far. A call whose applied events extend
  those replays only the new ones; any other call (another tracker read back
  from the store, a reverted event, a restart, another process's turn) replays
  from the start, as Rasa does. The states handed out are copies: callers edit
  them (the featurizer drops the last message's text or intent).
- **Rule lookup.** `RulePolicy._get_possible_keys` tests every rule (some
  three hundred here) against the current state, then the survivors against
  the states before. A rule whose last state names a previous action can only
  apply when the conversation's previous action has that name; rules are
  grouped by that name once, and only the group of the conversation's
  previous action, with the rules that name none, go through Rasa's own test.
  The set found is exactly Rasa's: the grouping only skips rules that Rasa's
  test rejects at its first step.

Installed by `scripts/serve.py` for the server only: training keeps Rasa's
code (its trackers share event objects between stories).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Text, Tuple

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core import constants as core_constants
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker

CONVERSATIONS_KEPT = 512  # replays kept per domain (least recently used go)
PREVIOUS_ACTION = core_constants.PREVIOUS_ACTION
ACTION_NAME = "action_name"

_original_states_for_tracker_history = Domain.states_for_tracker_history
_original_get_possible_keys = RulePolicy._get_possible_keys


@dataclass
class Replay:
    """A conversation replayed up to a point, as Rasa's loop would have it there."""

    tracker: DialogueStateTracker
    events: List[Event] = field(default_factory=list)
    states: List[State] = field(default_factory=list)
    last_ml_action_sub_state: Optional[Dict[Text, Any]] = None
    turn_was_hidden: bool = False


def _copy_states(states: List[State]) -> List[State]:
    return [{kind: dict(sub_state) for kind, sub_state in state.items()} for state in states]


def _state_at(domain: Domain, replay: Replay, tracker: DialogueStateTracker, hide_rule_turn: bool,
              omit_unset_slots: bool, ignore_rule_only_turns: bool,
              rule_only_data: Optional[Dict[Text, Any]]) -> None:
    """One step of Rasa's loop (`Domain.states_for_tracker_history`), on `replay`."""
    if ignore_rule_only_turns:
        if not replay.turn_was_hidden:
            replay.last_ml_action_sub_state = domain._get_prev_action_sub_state(tracker)
        if not tracker.followup_action and not tracker.latest_action_name == tracker.active_loop_name:
            replay.turn_was_hidden = hide_rule_turn
        if replay.turn_was_hidden:
            return
    state = domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if replay.states:
            domain._substitute_rule_only_user_input(state, replay.states[-1])
        if replay.last_ml_action_sub_state:
            state[PREVIOUS_ACTION] = replay.last_ml_action_sub_state
    replay.states.append(domain._clean_state(state))


class PastStates:
    """Per domain: each conversation's replay, by the arguments it was asked with."""

    def __init__(self) -> None:
        self._replays: "OrderedDict[Tuple, Replay]" = OrderedDict()
        self._lock = threading.Lock()  # Rasa may predict from worker threads

    def states(self, domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool = False,
               ignore_rule_only_turns: bool = False,
               rule_only_data: Optional[Dict[Text, Any]] = None) -> List[State]:
        key = (tracker.sender_id, type(tracker), tracker.is_rule_tracker, omit_unset_slots,
               ignore_rule_only_turns, repr(rule_only_data))
        applied = tracker.applied_events()
        with self._lock:
            replay = self._replays.pop(key, None)
        if replay is None or not _extends(replay.events, applied):
            replay = Replay(tracker=tracker.init_copy())
        args = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        for event in applied[len(replay.events):]:
            if isinstance(event, ActionExecuted):
                _state_at(domain, replay, replay.tracker, event.hide_rule_turn, *args)
            replay.tracker.update(event)
            replay.events.append(event)
        # The last step (the state now) is the caller's: the next event may change it.
        now = Replay(tracker=replay.tracker, states=_copy_states(replay.states),
                     last_ml_action_sub_state=replay.last_ml_action_sub_state,
                     turn_was_hidden=replay.turn_was_hidden)
        _state_at(domain, now, replay.tracker, False, *args)
        now.states[-1:] = _copy_states(now.states[-1:])  # it may hold the replay's sub-state
        with self._lock:
            self._replays[key] = replay
            while len(self._replays) > CONVERSATIONS_KEPT:
                self._replays.popitem(last=False)
        return now.states


def _extends(consumed: List[Event], applied: List[Event]) -> bool:
    """`applied` is `consumed` (the same objects, in order) plus what came after."""
    return len(applied) >= len(consumed) and all(a is b for a, b in zip(consumed, applied))


# The domain of the model being served and its replays: a model loaded anew
# (a new domain object) starts with none, and the old model's go with it.
_current: List[Tuple[Domain, PastStates]] = []


def states_for_tracker_history(self: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool = False,
                               ignore_rule_only_turns: bool = False,
                               rule_only_data: Optional[Dict[Text, Any]] = None) -> List[State]:
    if not _current or _current[0][0] is not self:
        _current[:] = [(self, PastStates())]
    return _current[0][1].states(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)


class RulesByPreviousAction:
    """A rule table's keys grouped by the previous action their last state names."""

    def __init__(self, lookup: Dict[Text, Text]) -> None:
        from rasa.core.policies.rule_policy import SHOULD_NOT_BE_SET

        self.size = len(lookup)
        self.by_action: Dict[Optional[Text], Set[Text]] = {}
        for key in lookup:
            states = RulePolicy._rule_key_to_state(key)
            last = states[-1] if states else {}
            name = last.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)
            if not name or name == SHOULD_NOT_BE_SET:
                name = None  # Rasa's test decides: no previous action named
            self.by_action.setdefault(name, set()).add(key)

    def candidates(self, state: State) -> Set[Text]:
        name = state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)
        return self.by_action.get(None, set()) | (self.by_action.get(name, set()) if name else set())


_rule_groups: Dict[int, Tuple[Dict[Text, Text], RulesByPreviousAction]] = {}


def _get_possible_keys(self: RulePolicy, lookup: Dict[Text, Text], states: List[State]) -> Set[Text]:
    if not states:
        return _original_get_possible_keys(self, lookup, states)
    entry = _rule_groups.get(id(lookup))
    if entry is None or entry[0] is not lookup or entry[1].size != len(lookup):
        entry = _rule_groups[id(lookup)] = (lookup, RulesByPreviousAction(lookup))
    possible_keys = entry[1].candidates(states[-1])
    for i, state in enumerate(reversed(states)):
        possible_keys = {key for key in possible_keys if self._is_rule_applicable(key, i, state)}
    return possible_keys


def install() -> None:
    Domain.states_for_tracker_history = states_for_tracker_history
    RulePolicy._get_possible_keys = _get_possible_keys
