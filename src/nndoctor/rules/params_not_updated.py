"""Some or all weights never change during training.

## What it does
Calls your training step once on the sample batch and compares every weight
array before and after; in a monitored run, compares the weights between
recorded steps. Reports gradient keys that name no parameter (`dW1` against
`W1`), a common reason an update finds nothing to apply. Stays silent when
every gradient is exactly 0: a correct update then moves nothing, and the
fault is upstream (units that start identical, a cut graph).

## Why is this bad?
A network whose weights do not move cannot learn: the loss stays exactly the
same every iteration, whatever the learning rate. Typical causes: an update
loop whose range is empty, an update that writes into a copy or a new
variable, gradients stored under other keys than the update reads.

## Example
```python
L = len(parameters) // 2
for i in range(1, L - 1):      # empty for a 2-layer net: nothing is updated
    parameters["W" + str(i)] -= lr * grads["W" + str(i)]
```

## Use instead
```python
for i in range(1, L + 1):
    parameters["W" + str(i)] -= lr * grads["dW" + str(i)]
    parameters["b" + str(i)] -= lr * grads["db" + str(i)]
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import NamedValue, Observations
from nndoctor.rules._run import cut_short

ID = "params-not-updated"
KIND = "cause"
EXPLAINS = (
    "loss-plateau",
    "accuracy-stuck",
    "prediction-collapse",
    "no-better-than-baseline",
)
MIN_RECORDS = 3  # weights identical across 3+ recorded steps: not one lucky no-op


def check(obs: Observations) -> list[Finding]:
    findings = _from_model(obs)
    keys = _key_evidence(obs)
    update = obs.update
    if update and not update.step_raised and _all_zero(update.grad_norms):
        # Every gradient is exactly 0: a correct update moves nothing, and the cause is
        # upstream of it (identical units, a cut graph). Nothing to say about the update.
        update = None
    if update and update.step_raised:
        findings.append(
            Finding(
                id=ID,
                kind=KIND,
                severity="error",
                confidence=0.9,
                title="Your training step fails, so the weights are not updated",
                where="the step function",
                evidence={"raised": update.step_raised, **keys},
                fix="Make the update read the gradients under the keys your backward pass writes "
                "them (see the key evidence), and run it once by hand.",
                explains=EXPLAINS,
            )
        )
    elif update and not update.changed:
        findings.append(
            Finding(
                id=ID,
                kind=KIND,
                severity="error",
                confidence=0.95,
                title="One training step changed none of the "
                f"{len(update.unchanged)} weight arrays",
                where="the update in your training step",
                evidence={"unchanged": list(update.unchanged), **keys},
                fix="Check that the update loop runs over every layer (print the indices it "
                "visits) "
                "and writes into the arrays the forward pass reads, with the gradient keys "
                "your backward pass produces.",
                explains=EXPLAINS,
            )
        )
    elif update and update.unchanged:
        moving = {g.name for g in update.grad_norms if g.value > 0}
        frozen = [name for name in update.unchanged if name in moving]
        if frozen:
            findings.append(
                Finding(
                    id=ID,
                    kind=KIND,
                    severity="error",
                    confidence=0.85,
                    title=f"The step never updates {', '.join(frozen)} although their "
                    "gradients are non-zero",
                    where=f"parameters {', '.join(frozen)}",
                    evidence={"unchanged": frozen, "changed": list(update.changed), **keys},
                    fix=f"Add {', '.join(frozen)} to the update.",
                    explains=EXPLAINS,
                )
            )
    records = [r.params_changed for r in obs.trace if r.params_changed is not None]
    # Weights that never moved from where the update check measured exactly-0
    # gradients keep those gradients: the loop's update has nothing to apply.
    measured = [r.grad_norms for r in obs.trace if r.grad_norms]
    zero = (measured and all(_all_zero(g) for g in measured)) or (
        obs.update is not None and _all_zero(obs.update.grad_norms)
    )
    if (
        len(records) >= MIN_RECORDS
        and not any(records)
        and not findings
        and not obs.model
        and not zero
    ):
        findings.append(
            Finding(
                id=ID,
                kind=KIND,
                severity="error",
                confidence=0.95,
                title=f"The weights did not change in any of {len(records) + 1} recorded steps",
                where="the update in your training loop",
                evidence={"recorded_steps": len(records) + 1, "changed_steps": 0, **keys},
                fix="Check that the update loop runs over every layer and writes into the arrays "
                "the forward pass reads.",
                explains=EXPLAINS,
            )
        )
    return findings


def _all_zero(norms: tuple[NamedValue, ...]) -> bool:
    """Gradients were measured and every one is exactly 0 (not merely small)."""
    return bool(norms) and all(g.value == 0 for g in norms)


def _from_model(obs: Observations) -> list[Finding]:
    """The configuration seen by a framework probe: which parameters the optimizer moves."""
    model = obs.model
    if model is None:
        return []
    steps = len(obs.trace)

    def found(
        title: str,
        fix: str,
        evidence: dict[str, object],
        severity: str = "error",
        confidence: float = 0.95,
    ) -> list[Finding]:
        return [
            Finding(
                id=ID,
                kind=KIND,
                severity=severity,
                confidence=confidence,  # type: ignore[arg-type]
                title=title,
                where=f"the optimizer and the model {model.name}",
                location=model.optimizer_location or model.loss_location,
                evidence=evidence,
                fix=fix,
                explains=EXPLAINS,
            )
        ]

    if model.optimizer_holds_model is False:
        return found(
            f"The optimizer holds none of the parameters of the model that runs ({model.name})",
            "Build the optimizer from the model you train, after creating it: "
            "optimizer = torch.optim.SGD(model.parameters(), lr=...).",
            {"optimizer": model.optimizer, "model": model.name, "steps": steps},
        )
    if steps and model.steps_without_grad >= 0.9 * steps:
        return found(
            f"No model parameter had a gradient at {model.steps_without_grad} of "
            f"{steps} optimizer steps: the loss is not connected to the model",
            "Compute the loss from the model's output tensor without .detach(), "
            ".item(), .numpy() or a new torch.tensor(...) in between, and call "
            "loss.backward() before optimizer.step().",
            {"steps_without_grad": model.steps_without_grad, "steps": steps},
        )
    if model.unregistered:
        names = list(model.unregistered)
        return found(
            f"The loss depends on {len(names)} tensors that no module registers, so no "
            f"optimizer updates them: {', '.join(names[:4])}{'...' if len(names) > 4 else ''}",
            "Register them with the model: layers in nn.ModuleList(...) (not a Python list), "
            "weights as nn.Parameter(...); then model.parameters() gives them to the optimizer.",
            {"unregistered": names},
            severity="error",
            confidence=0.85,
        )
    if model.params_without_optimizer:
        names = list(model.params_without_optimizer)
        return found(
            f"{len(names)} trainable parameter tensors are in no optimizer: "
            f"{', '.join(names[:4])}{'...' if len(names) > 4 else ''}",
            "Pass all of model.parameters() to the optimizer, or set "
            "requires_grad=False on the ones you mean to freeze.",
            {"params_without_optimizer": names},
            severity="warning",
            confidence=0.7,
        )
    # A crash at (or before) the first step also leaves a loss without a step: not this.
    if model.optimizer is None and model.loss is not None and not steps and not cut_short(obs):
        # An update written by hand that moved a weight is a step (issue 16): none did.
        return found(
            "The script computes a loss but never calls optimizer.step(), and no "
            "update written by hand changed a weight",
            "Create an optimizer and call optimizer.step() after loss.backward(), or "
            "update the parameters in place (with torch.no_grad(): p -= lr * p.grad), "
            "not a new variable (p = p - lr * p.grad).",
            {"loss": model.loss, "steps": 0},
            severity="warning",
            confidence=0.8,
        )
    return []


def _key_evidence(obs: Observations) -> dict[str, object]:
    gc = obs.gradcheck
    if gc is None or not (gc.key_pairs or gc.unmatched_keys):
        return {}
    evidence: dict[str, object] = {}
    if gc.key_pairs:
        evidence["gradient_keys_differ"] = {p: g for p, g in gc.key_pairs}
    if gc.unmatched_keys:
        evidence["gradient_keys_matching_no_parameter"] = list(gc.unmatched_keys)
    return evidence
