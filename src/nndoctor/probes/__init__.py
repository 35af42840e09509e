"""Framework adapters: the only modules that import a framework."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nndoctor.observations import InternalError

KERAS2_MESSAGE = (
    "this script uses Keras 2 (tf_keras, or keras < 3), which nndoctor does not instrument. "
    "nndoctor supports Keras 3 (`import keras`, keras>=3, on the TensorFlow or torch backend): "
    "pip install 'keras>=3' and unset TF_USE_LEGACY_KERAS."
)


def attempt(events: list[Any], label: str, make: Callable[[], Any]) -> None:
    """Run one fix trial or experiment on copies and keep its event. A failure is an
    InternalError event, never a crash of the user's run; None adds nothing."""
    try:
        event = make()
    except KeyboardInterrupt as interrupt:
        # Ctrl-C skips the rest; the CLI keeps what finished before it (the outermost
        # call's list, set last as the interrupt rises).
        interrupt.finished = list(events)  # type: ignore[attr-defined]
        raise
    except Exception as error:  # noqa: BLE001 - a failed trial or experiment is a note
        events.append(InternalError(label, f"{type(error).__name__}: {error}"))
        return
    if event is not None:
        events.append(event)
