"""The evaluation code does not measure the model on the inputs it is given.

## What it does
Calls your prediction function on two different batches, and your forward
pass on the same batches. If forward's output changes with the input but the
prediction does not, or the prediction differs from forward on the same
input, the prediction path is reading something other than its argument. In PyTorch,
also counts the calls of your model without gradients (an evaluation) made
while it is still in training mode, when it has Dropout or BatchNorm.

## Why is this bad?
The accuracy you print is then not the model's accuracy: it shows "one class
for everything", or a number that ignores training, and sends you looking
for a training bug that is not there. Typical causes: reusing activations
cached by the last training forward (`self.h1_out`), evaluating the wrong
variable, discarding the return value, or evaluating without `model.eval()`
(Dropout then drops units and BatchNorm uses the batch's statistics).

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
        return _train_mode(obs)
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


def _train_mode(obs: Observations) -> list[Finding]:
    """PyTorch: the script evaluated its model (no gradients) while it was still in
    training mode, so Dropout dropped units and BatchNorm used the batch's statistics
    in what the script reports as its accuracy."""
    calls = obs.model.eval_in_train_mode if obs.model is not None else 0
    if not calls:
        return []
    layers = (
        sorted(
            {
                layer.kind
                for layer in obs.model.layers
                if "Dropout" in layer.kind or "BatchNorm" in layer.kind
            }
        )
        if obs.model
        else []
    )
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="warning",
            confidence=0.7,
            title=f"The model was evaluated {calls} time{'s' if calls != 1 else ''} without "
            "gradients while still in training mode: "
            + (" and ".join(layers) or "Dropout/BatchNorm")
            + (" behaves" if len(layers) == 1 else " behave")
            + " as in training there",
            where="the evaluation code: model.eval() is not called before it",
            evidence={"calls_in_training_mode": calls, "layers": layers},
            fix="Call model.eval() before evaluating (with torch.no_grad()) and model.train() "
            "before training again: Dropout then keeps every unit and BatchNorm uses its "
            "running statistics.",
        )
    ]
