"""How the run ended, for the rules that must know whether training ended by itself."""

from __future__ import annotations

from nndoctor.observations import Observations

INTERRUPTED = 130  # the shell's code for Ctrl-C (128 + SIGINT), which `nndoctor run` returns


def failed(obs: Observations) -> bool:
    """The script raised or exited non-zero (not Ctrl-C, not nndoctor's own stop)."""
    run = obs.run
    return run is not None and run.exit_code not in (None, 0, INTERRUPTED)


def cut_short(obs: Observations) -> str | None:
    """Why training ended before the script ended it, or None when it ended by itself.

    --max-steps/--max-seconds (`stopped_early`) is the user's own quick check and
    is not counted here: too-few-updates reads it on its own.
    """
    run = obs.run
    if run is None:
        return None
    steps = len(obs.trace)
    after = f"after {steps} recorded step{'s' if steps != 1 else ''}"
    if run.exit_code == INTERRUPTED:
        return f"the run was interrupted (Ctrl-C) {after}; training did not end by itself"
    if failed(obs):
        what = run.error or f"exit code {run.exit_code}"
        return f"the script failed {after} ({what}); training did not end by itself"
    if run.exit_code is None and run.error:
        return f"{run.error} {after}; training did not end by itself"
    return None
