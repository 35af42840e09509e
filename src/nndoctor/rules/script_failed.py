"""The training script raised an exception or exited with an error before its training ended.

## What it does
Reads how the script run by `nndoctor run` ended: an exception (also a
`SyntaxError` before the first line ran) or `sys.exit` with a non-zero code.
The evidence is the exception's type and message and the line of your code
that raised it; the rest of the diagnosis covers only the steps that ran, and
says so.

## Why is this bad?
A script that crashed did not train: whatever the other findings read from
the steps before the crash, the first thing to fix is the crash. A shape
error at the first loss, for example, also means no optimizer step ran, and a
crash at step 5 leaves a loss that was still falling; neither is a training
fault, and nndoctor does not report them as one.

## Example
```python
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
y = torch.randn(32, 2)                  # 2 target columns for 3 classes
loss = nn.CrossEntropyLoss()(model(x), y)   # RuntimeError
```

## Use instead
```python
y = torch.randint(0, 3, (32,))          # one class id per sample
loss = nn.CrossEntropyLoss()(model(x), y)
```
Fix the error at the line the finding names (the traceback printed above the
report shows the whole chain), then run `nndoctor run` again.
"""

from __future__ import annotations

from pathlib import Path

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules._run import failed

ID = "script-failed"
KIND = "cause"


def check(obs: Observations) -> list[Finding]:
    run = obs.run
    if run is None or not failed(obs):
        return []
    steps = len(obs.trace)
    when = (
        f"after {steps} training step{'s' if steps != 1 else ''}"
        if steps
        else "before its first training step"
    )
    where = run.error_location
    at = f"{Path(where.file).name}:{where.line}" if where else None
    evidence: dict[str, object] = {"exit_code": run.exit_code, "steps_recorded": steps}
    if run.error:
        evidence["exception"] = run.error
    if at:
        evidence["at"] = at
    what = run.error or f"exit code {run.exit_code}"
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=1.0,
            title=f"The script failed {when}: {what}",
            where=at or (run.script or "the script"),
            location=where,
            evidence=evidence,
            fix=f"Fix the error at {at or 'the line the traceback above names'}, then run again; "
            + (
                f"the rest of this diagnosis covers only the {steps} steps that ran."
                if steps
                else "no training step ran, so nothing else could be diagnosed."
            ),
        )
    ]
