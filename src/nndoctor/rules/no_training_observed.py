"""The script ran to its end, but nndoctor saw no training it knows.

## What it does
After a script that ended without error, looks for anything trained: an
optimizer step (PyTorch), a Keras `fit`, a step recorded with
`nndoctor.numpy.Monitor` or a `nndoctor.numpy.check`. When there is none it
says what it did see: the frameworks the script imported, a model or loss it
watched, how long the script ran.

## Why is this bad?
No training seen means nothing was diagnosed: a report without findings would
read as "healthy" when nndoctor in fact looked at nothing. Usually the script
trains behind a guard that did not run (`if __name__ == "__main__"` in another
file, a `--train` flag), trains in a framework nndoctor does not watch
(Keras 2, JAX, scikit-learn), or loads a trained model and only predicts.

## Example
```python
# train.py: only predicts with a saved model
model = torch.load("model.pt")
print(model(x).argmax(1))
```

## Use instead
```python
for x, y in loader:                     # a training loop nndoctor watches
    optimizer.zero_grad()
    loss_fn(model(x), y).backward()
    optimizer.step()
```
For NumPy code, record the loss with `nndoctor.numpy.Monitor().record(loss)`
in the loop or call `nndoctor.numpy.check(...)`.
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "no-training-observed"
KIND = "cause"


def check(obs: Observations) -> list[Finding]:
    run = obs.run
    if run is None or run.script is None or run.exit_code != 0 or obs.trace:
        return []
    checked = (obs.gradcheck, obs.update, obs.mutation, obs.evaluation, obs.overfit)
    if any(c is not None for c in checked) or obs.fix_trials:
        return []  # nndoctor.numpy.check ran: that is a diagnosis without a loop
    model = obs.model
    if model is not None and model.loss is not None and model.optimizer is None:
        return []  # a loss without an optimizer step: params-not-updated says so
    seen = []
    if run.imported:
        seen.append(f"imported {', '.join(run.imported)}")
    if model is not None:
        seen.append(f"built model '{model.name}'")
    if model is not None and model.loss:
        seen.append(f"computed a {model.loss} loss")
    evidence: dict[str, object] = {
        "steps_recorded": 0,
        "seconds": run.seconds,
        "imported": list(run.imported),
        "model": model.name if model else None,
    }
    saw = "; it " + " and ".join(seen) if seen else "; it saw no model, loss or optimizer"
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="warning",
            confidence=0.9,
            title=f"The script ran for {run.seconds:.1f} s without a training step nndoctor "
            f"watches{saw}",
            where=run.script,
            evidence=evidence,
            fix="Run the script that trains (check any guard or flag that skips training); "
            "nndoctor watches PyTorch optimizer steps and Keras fit() by itself; for NumPy "
            "code, call nndoctor.numpy.Monitor().record(loss) in the loop.",
        )
    ]
