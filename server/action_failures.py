"""When the action server cannot be reached mid-form, say so and ask again.

Stock Rasa logs a failed custom action, drops its events and goes on: in the
checklist the patient's answer stays in the slot unchecked (the validation ran
on the action server), the reply is empty (`200 []`), and the next answer can
fill the wrong question. Here, when a form or one of the actions that store
something fails for any reason other than a rejection, the slot being asked is
emptied, the patient is told plainly that the answer was not recorded, and the
same question is asked again; the checklist goes on once the server is back.
"""
from __future__ import annotations

import logging
from typing import Any, List

from rasa.core.actions.action import ActionBotResponse, ActionExecutionRejection, RemoteAction
from rasa.core.actions.forms import FormAction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event, SlotSet

logger = logging.getLogger(__name__)

REQUESTED_SLOT = "requested_slot"
FORM_NOT_RECORDED = "utter_answer_not_recorded"
STEP_NOT_DONE = "utter_step_not_done"
# actions that store what the patient gave (their own error replies cover a
# database failure; these cover the action server itself being unreachable)
STORING_ACTIONS = {"action_screening_outcome", "action_save_callback"}

_original_run_action = MessageProcessor._run_action


def needs_the_action_server(action: Any) -> bool:
    return isinstance(action, FormAction) or (
        isinstance(action, RemoteAction) and action.name() in STORING_ACTIONS)


async def _run_action_telling_the_patient(self: MessageProcessor, action: Any, tracker: Any,
                                          output_channel: Any, nlg: Any, prediction: Any) -> bool:
    if not needs_the_action_server(action):
        return await _original_run_action(self, action, tracker, output_channel, nlg, prediction)
    failures: List[BaseException] = []
    run = action.run

    async def run_noting_failure(*args: Any, **kwargs: Any) -> List[Event]:
        try:
            return await run(*args, **kwargs)
        except ActionExecutionRejection:
            raise
        except Exception as error:  # noqa: BLE001 - Rasa catches it too; we only take note
            failures.append(error)
            raise

    action.run = run_noting_failure
    go_on = await _original_run_action(self, action, tracker, output_channel, nlg, prediction)
    if not failures:
        return go_on

    logger.error("action %s failed (%s): the patient is asked again",
                 action.name(), type(failures[0]).__name__)
    events: List[Event] = []
    requested = tracker.get_slot(REQUESTED_SLOT) if tracker.active_loop_name else None
    if requested:
        events.append(SlotSet(requested, None))  # the answer was never checked
        responses = [FORM_NOT_RECORDED, f"utter_ask_{requested}"]
    else:
        responses = [STEP_NOT_DONE]
    for response in responses:
        if response in self.domain.responses:
            events += await ActionBotResponse(response).run(output_channel, nlg, tracker, self.domain)
    tracker.update_with_events(events, self.domain)
    await self.execute_side_effects(events, tracker, output_channel)
    # wait for the answer, as after any question (no further prediction that
    # would call the unreachable server again)
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    return False


def install() -> None:
    MessageProcessor._run_action = _run_action_telling_the_patient
