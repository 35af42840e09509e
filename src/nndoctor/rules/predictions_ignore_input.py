"""The prediction function returns the same output for different inputs.

## What it does
Feeds two different batches to your prediction function and compares the
outputs exactly.

## Why is this bad?
An evaluation that ignores its input reports the same class for every image.
If the forward pass does vary, the evaluation code is at fault (`eval-bug`);
if it does not, the model itself has collapsed.

## Example
```python
acc_test(x_val[i])                 # result discarded
pred = self.output_layer           # last training output, whatever x was
```

## Use instead
```python
pred = acc_test(x_val[i])
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations

ID = "predictions-ignore-input"
KIND = "symptom"


def check(obs: Observations) -> list[Finding]:
    ev = obs.evaluation
    # A model whose forward pass gives every input the same output (zero
    # initialisation before training) rightly predicts the same for all.
    if ev is None or ev.predict_varies or (ev.forward_checked and not ev.forward_varies):
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.95,
            title=f"Prediction is identical for {ev.inputs_compared} different inputs",
            where="the prediction/evaluation function",
            evidence={"inputs_compared": ev.inputs_compared, "forward_varies": ev.forward_varies},
            fix="See the cause listed above; if none, check the forward pass for a "
            "collapsed layer.",
        )
    ]
