"""Three costs stock Rasa 3.6 pays on every turn for answers that never change.

Found by profiling the running server (py-spy, ten-turn conversations, SQLite;
docs/design.md, "Where a turn's time goes"):

- Every custom action's response is checked with `jsonschema.validate`, which
  first checks the *schema* against its meta-schema: 19 ms a call on the
  development machine, against 0.3 ms for the same check with the validator
  built once. Every checklist answer calls the action server at least once.
- `Event.resolve_by_type` walks every subclass of `Event` (recursively, asking
  each whether it is abstract) for each event it deserialises: a tenth of a
  short conversation's turn was spent there reading the tracker back.
- A button's intent payload (`/inform{"choice": "cancer"}`) is not a template,
  but Rasa's response interpolation read `{"choice": "cancer"}` as a slot
  name, failed, and logged an ERROR with a traceback for every such button of
  every checklist question: false errors in the log, 2% of a turn. Payloads
  that start with "/" are passed through unchanged, as Rasa already returned them.

Each keeps Rasa's behaviour: the same schema and the same error; the same
class for a type name (the first in Rasa's own order), a type name not in the
table looked up Rasa's way, so an event class defined later is still found;
the payload returned exactly as Rasa returned it.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Optional, Text, Type

from rasa.core.actions.action import RemoteAction
from rasa.core.nlg import interpolator
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_original_resolve_by_type = Event.resolve_by_type
_original_interpolate_text = interpolator.interpolate_text


@functools.lru_cache(maxsize=1)
def action_response_validator() -> Any:
    """The validator of Rasa's action-server response format, built once."""
    import jsonschema

    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    from jsonschema import ValidationError

    try:
        action_response_validator().validate(result)
        return True
    except ValidationError as error:  # the message Rasa adds
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error


class EventTypes:
    """Event classes by type name, in the order Rasa's own lookup finds them."""

    def __init__(self) -> None:
        self._classes: Dict[Text, Type[Event]] = {}

    def _rebuild(self) -> None:
        classes: Dict[Text, Type[Event]] = {}
        for cls in all_subclasses(Event):
            classes.setdefault(cls.type_name, cls)  # Rasa returns the first match
        self._classes = classes

    def resolve(self, type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
        found = self._classes.get(type_name)
        if found is not None:
            return found
        self._rebuild()  # a class defined since the table was built, or none at all
        found = self._classes.get(type_name)
        if found is not None:
            return found
        return _original_resolve_by_type(type_name, default)


event_types = EventTypes()


def _interpolate_text(response: Text, values: Dict[Text, Text]) -> Text:
    if response.startswith("/"):  # an intent payload: Rasa's own result, without the error
        return response
    return _original_interpolate_text(response, values)


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(event_types.resolve)
    interpolator.interpolate_text = _interpolate_text
