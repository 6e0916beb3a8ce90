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
  from the start, as Rasa does, and so does one whose new events edit an
  earlier message in place (`EntitiesAdded`). The states handed out are
  copies (callers edit them: the featurizer drops the last message's text or
  intent), sharing a dict wherever Rasa's states share it.
- **Rule lookup.** `RulePolicy._get_possible_keys` tests every rule (some
  two hundred here) against the current state, then the survivors against
  the states before. A rule whose last state names a previous action can only
  apply when the conversation's previous action has that name; rules are
  grouped by that name once, and only the group of the conversation's
  previous action, with the rules that name none, go through Rasa's own test.
  The set found is exactly Rasa's: the grouping only skips rules that Rasa's
  test rejects at its first step.

Installed by `scripts/serve.py` for the server: `rasa train` keeps Rasa's
code. A training through the server's HTTP API runs in the server's process
with these installed; its trackers share event objects between stories, and
the same check (the same objects, the same domain) keeps each replay right.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Text, Tuple

from rasa.core.policies.rule_policy import SHOULD_NOT_BE_SET, RulePolicy
from rasa.shared.core import constants as core_constants
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, DefinePrevUserUtteredFeaturization, EntitiesAdded, Event
from rasa.shared.core.trackers import DialogueStateTracker

# A tracker read back from the store is made of new event objects, so a replay
# serves only the rest of its turn: enough for the turns in flight at once
# (two sets of arguments each), and no conversation's words kept in memory longer.
REPLAYS_KEPT = 64
RULE_TABLES_KEPT = 8  # two a model; a model loaded anew adds two
# Events that change the last user message in place (Rasa's `apply_to`): states
# already worked out from that message would be stale, so the replay starts over.
EDIT_EARLIER_MESSAGE = (EntitiesAdded, DefinePrevUserUtteredFeaturization)
PREVIOUS_ACTION = core_constants.PREVIOUS_ACTION
ACTION_NAME = "action_name"

_original_states_for_tracker_history = Domain.states_for_tracker_history
_original_get_possible_keys = RulePolicy._get_possible_keys


@dataclass
class Replay:
    """A conversation replayed up to a point, as Rasa's loop would have it there."""

    domain: Domain
    tracker: DialogueStateTracker
    events: List[Event] = field(default_factory=list)
    states: List[State] = field(default_factory=list)
    last_ml_action_sub_state: Optional[Dict[Text, Any]] = None
    turn_was_hidden: bool = False


class _Copier:
    """Copies sub-states once each: where Rasa's states share a dict (a message
    carried over to a rule turn, the last ML action), the copies share it too,
    so a caller that edits one sees what it would see in Rasa's."""

    def __init__(self) -> None:
        self._copies: Dict[int, Dict[Text, Any]] = {}

    def sub_state(self, sub_state: Optional[Dict[Text, Any]]) -> Optional[Dict[Text, Any]]:
        if sub_state is None:
            return None
        copied = self._copies.get(id(sub_state))
        if copied is None:
            copied = self._copies[id(sub_state)] = dict(sub_state)  # values are str, float or tuple
            self._copies[id(copied)] = copied  # a copy handed back in is itself
        return copied

    def states(self, states: List[State]) -> List[State]:
        return [{kind: self.sub_state(sub_state) for kind, sub_state in state.items()} for state in states]


def _state_at(domain: Domain, replay: Replay, hide_rule_turn: bool, omit_unset_slots: bool,
              ignore_rule_only_turns: bool, rule_only_data: Optional[Dict[Text, Any]]) -> None:
    """One step of Rasa's loop (`Domain.states_for_tracker_history`), on `replay` as replayed so far."""
    tracker = replay.tracker
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
    """Each conversation's replay, by domain and by the arguments it was asked with."""

    def __init__(self, kept: int = REPLAYS_KEPT) -> None:
        self._replays: "OrderedDict[Tuple, Replay]" = OrderedDict()
        self._kept = kept
        self._lock = threading.Lock()  # Rasa may predict from worker threads (training by API)

    def states(self, domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool = False,
               ignore_rule_only_turns: bool = False,
               rule_only_data: Optional[Dict[Text, Any]] = None) -> List[State]:
        key = (id(domain), tracker.sender_id, type(tracker), tracker.is_rule_tracker, omit_unset_slots,
               ignore_rule_only_turns, repr(rule_only_data))
        applied = tracker.applied_events()
        with self._lock:
            replay = self._replays.pop(key, None)
        if (replay is None or replay.domain is not domain or not _extends(replay.events, applied)
                or any(isinstance(event, EDIT_EARLIER_MESSAGE) for event in applied[len(replay.events):])):
            replay = Replay(domain=domain, tracker=tracker.init_copy())
        args = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        for event in applied[len(replay.events):]:
            if isinstance(event, ActionExecuted):
                _state_at(domain, replay, event.hide_rule_turn, *args)
            replay.tracker.update(event)
            replay.events.append(event)
        # The last step (the state now) is the caller's: the next event may change it.
        copier = _Copier()
        now = Replay(domain=domain, tracker=replay.tracker, states=copier.states(replay.states),
                     last_ml_action_sub_state=copier.sub_state(replay.last_ml_action_sub_state),
                     turn_was_hidden=replay.turn_was_hidden)
        earlier = len(now.states)
        _state_at(domain, now, False, *args)
        if len(now.states) > earlier:  # its own dicts may be the replayed tracker's
            now.states[-1] = {kind: copier.sub_state(sub_state) for kind, sub_state in now.states[-1].items()}
        with self._lock:
            self._replays[key] = replay
            while len(self._replays) > self._kept:
                self._replays.popitem(last=False)
        return now.states


def _extends(consumed: List[Event], applied: List[Event]) -> bool:
    """`applied` is `consumed` (the same objects, in order) plus what came after."""
    return len(applied) >= len(consumed) and all(a is b for a, b in zip(consumed, applied))


_past_states = PastStates()


def states_for_tracker_history(self: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool = False,
                               ignore_rule_only_turns: bool = False,
                               rule_only_data: Optional[Dict[Text, Any]] = None) -> List[State]:
    return _past_states.states(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)


class RulesByPreviousAction:
    """A rule table's keys grouped by the previous action their last state names."""

    def __init__(self, lookup: Dict[Text, Text]) -> None:
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
        if len(_rule_groups) >= RULE_TABLES_KEPT:
            _rule_groups.clear()
        entry = _rule_groups[id(lookup)] = (lookup, RulesByPreviousAction(lookup))
    possible_keys = entry[1].candidates(states[-1])
    for i, state in enumerate(reversed(states)):
        possible_keys = {key for key in possible_keys if self._is_rule_applicable(key, i, state)}
    return possible_keys


def install() -> None:
    Domain.states_for_tracker_history = states_for_tracker_history
    RulePolicy._get_possible_keys = _get_possible_keys
