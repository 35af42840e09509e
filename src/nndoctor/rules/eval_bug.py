"""The evaluation code does not measure the model on the inputs it is given.

## What it does
Calls your prediction function on two different batches, and your forward
pass on the same batches. If forward's output changes with the input but the
prediction does not, or the prediction differs from forward on the same
input, the prediction path is reading something other than its argument.

## Why is this bad?
The accuracy you print is then not the model's accuracy: it shows "one class
for everything", or a number that ignores training, and sends you looking
for a training bug that is not there. Typical causes: reusing activations
cached by the last training forward (`self.h1_out`), evaluating the wrong
variable, discarding the return value.

## Example
```python
def acc_test(self, x):
    h1 = relu(x @ self.w1 + self.b1)
    h2 = relu(self.h1_out @ self.w2 + self.b2)    # stale: last training input
```

## Use instead
```python
def acc_test(self, x):
    h1 = relu(x @ self.w1 + self.b1)
    h2 = relu(h1 @ self.w2 + self.b2)
    return softmax(h2 @ self.w3 + self.b3)        # and use the returned value
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "eval-bug"
KIND = "cause"
DISAGREE = 1e-6  # float64 round-off between two correct paths stays far below this
EXPLAINS = (
    "predictions-ignore-input",
    "accuracy-stuck",
    "prediction-collapse",
    "no-better-than-baseline",
)


def check(obs: Observations) -> list[Finding]:
    ev = obs.evaluation
    if ev is None:
        return []
    ignores = ev.forward_varies and not ev.predict_varies
    disagrees = ev.max_disagreement > DISAGREE
    if not (ignores or disagrees):
        return []
    evidence = {
        "inputs_compared": ev.inputs_compared,
        "predict_varies": ev.predict_varies,
        "forward_varies": ev.forward_varies,
        "max_disagreement_with_forward": round(ev.max_disagreement, 6),
    }
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.95 if ignores else 0.8,
            title="Your prediction function returns the same output for different inputs, while "
            "the forward pass does not"
            if ignores
            else "Your prediction function disagrees with the forward pass on the same input",
            where="the prediction/evaluation function",
            evidence=evidence,
            fix="Compute every layer of the prediction from its own argument (no cached "
            "activations such as self.h1_out from training), and use the value it returns.",
            explains=EXPLAINS,
        )
    ]
