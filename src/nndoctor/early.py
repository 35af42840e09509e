"""The answer as soon as it is known: causes announced while training runs (issue 18).

`nndoctor run` checks the trace so far on a geometric schedule of steps (1, 2,
3, 5, 8, 12, ...): it folds the events recorded so far, as if the run had been
stopped there, and runs the rules. A cause found in enough checks in a row is
*confident*: one short line goes to stderr ("nndoctor: double-softmax at step 8:
...; full report at the end"), and `--until-diagnosed` stops the training there.

A cause the configuration proves (the loss call, the layer list, a count) is
confident after 2 checks in a row, from step 8 on: an output read as
probabilities on the first batches may turn out to be raw scores. A cause read
from the loss or gradients must hold over 4 checks spanning 8x the steps, from
step 21 on: the early steps of a healthy run look like many faults.

Nothing here may break the user's training: a failure becomes an
internal-error note and the checks stop for the run.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

GROWTH = 1.5  # each check 1.5x the steps of the last: log1.5(N) checks in N steps
# At most 1% of the run's wall time so far goes to checks (issue 18's budget). The
# first check always runs. Measured: `torch_epochs.py healthy 100` (2,000 steps of
# a small MLP, on a loaded 2-core machine): 18 checks took 101 ms of a 14.8 s run
# (0.7%), 5.6 ms a check on average.
COST_SHARE = 0.01
CONFIG_CHECKS = 2  # checks in a row for a cause the configuration proves
# ... from step 8 on: an output activation is read from the output's values, and the
# raw scores of a healthy net can start inside [0, 1] like a sigmoid's (measured:
# bench/cases/torch/loan_default.py's stayed there for its first 4 batches; 8 is 2x).
MIN_CONFIG_STEP = 8
INFERRED_CHECKS = 4  # checks in a row for a cause read from the training signals
# ... spanning 8x the steps (first check of the streak at s, last at >= 8 s): a
# reading of the early steps must still hold three doublings later.
INFERRED_SPAN = 8
# A signal read before step 21 rests on the first 20 steps, which the torch probe
# measures in full before it starts sampling and re-reads the model at step 20
# (probes/torch.py, EVERY_STEP_UNTIL): only configuration-proven causes speak then.
MIN_INFERRED_STEP = 21
MAX_LINES = 3  # lines per run: the full report comes at the end


class EarlyDiagnosis:
    """Checks one session's trace while it trains; announces confident causes once each."""

    def __init__(self, session: Any, *, show: bool = True, stop: bool = False) -> None:
        self.session = session
        self.show = show  # print the lines (not with --quiet)
        self.stop = stop  # --until-diagnosed: end the training at the first confident cause
        self.next_step = 1  # Session.count_step calls check() from this step on
        self.spent = 0.0  # seconds spent in checks
        self.last_cost = 0.0  # seconds of the last check
        self.checks = 0
        self.confident: list[str] = []  # causes announced, in order
        self._streaks: dict[str, tuple[int, int]] = {}  # id -> (first step, checks in a row)

    def check(self, step: int) -> str | None:
        """Check at this step; the cause that makes --until-diagnosed stop, else None."""
        # Outside the timed part (`nndoctor run` imports it before the script starts).
        import nndoctor.diagnosis  # noqa: F401

        now = time.monotonic()
        # The first check always runs (a configuration fault shows at step 1); a later
        # one only if it, costing what the last did, keeps the total within the share:
        # the checks before the last one never exceed it (tests/test_early.py).
        if self.checks and self.spent + self.last_cost > COST_SHARE * (now - self.session.started):
            return None  # over budget: the next step asks again
        self.next_step = max(step + 1, math.ceil(step * GROWTH))
        try:
            new = self._confident_now(step)
        except Exception as error:  # noqa: BLE001 - never break the user's training
            from nndoctor.observations import InternalError

            self.next_step = sys.maxsize
            self.session.emit(InternalError("early diagnosis", f"{type(error).__name__}: {error}"))
            return None
        finally:
            self.checks += 1
            self.last_cost = time.monotonic() - now
            self.spent += self.last_cost
        for finding in new:
            self.confident.append(finding.id)
            if self.show and len(self.confident) <= MAX_LINES:
                _announce(finding, step)
        if self.stop and self.confident:
            return self.confident[0]
        return None

    def _confident_now(self, step: int) -> list[Any]:
        from nndoctor.diagnosis import PROVEN_BY_CONFIGURATION, diagnose
        from nndoctor.rules import ABOUT_THE_RUN

        findings = diagnose(self._observations()).findings
        causes = [
            f for f in findings if f.kind == "cause" and f.is_problem and f.id not in ABOUT_THE_RUN
        ]
        streaks = {}
        new = []
        for f in causes:
            first, count = self._streaks.get(f.id, (step, 0))
            streaks[f.id] = (first, count + 1)
            if f.id in self.confident:
                continue
            if f.id in PROVEN_BY_CONFIGURATION:
                sure = count + 1 >= CONFIG_CHECKS and step >= MIN_CONFIG_STEP
            else:
                sure = (
                    count + 1 >= INFERRED_CHECKS
                    and step >= INFERRED_SPAN * first
                    and step >= MIN_INFERRED_STEP
                )
            if sure:
                new.append(f)
        self._streaks = streaks  # a cause missing from this check starts again
        return new

    def _observations(self) -> Any:
        """The trace so far, read as a run nndoctor stopped here (as --max-steps would)."""
        from nndoctor.observations import RunInfo, fold

        session = self.session
        seconds = round(time.monotonic() - session.started, 3)
        now = RunInfo(session.framework, session.script, 0, seconds, True)
        return fold([*session.events, now], session.framework)


def _announce(finding: Any, step: int) -> None:
    from nndoctor.diagnosis import _sentence_inside

    try:
        print(
            f"nndoctor: {finding.id} at step {step}: {_sentence_inside(finding.title)}; "
            "full report at the end",
            file=sys.stderr,
            flush=True,
        )
    except (OSError, ValueError):
        pass  # stderr closed or gone (a pipe whose reader left): the report still comes
