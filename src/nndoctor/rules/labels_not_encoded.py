"""The labels' format does not match what the outputs and the loss expect.

## What it does
Compares the labels you pass (shape, integer ids or one-hot, value range,
class count) with the network output on the same batch (units per sample,
sigmoid or softmax range) and with the label format the loss reads (Keras:
`sparse_categorical_crossentropy` reads ids, `categorical_crossentropy`
one-hot rows).

## Why is this bad?
Hand-written losses and gradients such as `A - Y` broadcast silently: class
ids of shape (m,) against an output of (K, m) train every output unit towards
the same number, so all units learn the same thing and argmax picks the same
class for every input. A one-hot width or an id range that differs from the
output width trains units that do not exist, or leaves some untrained.

## Example
```python
a3 = sigmoid(theta2 @ a2)        # (2, m): one unit per class
d3 = a3 - y                      # y = [0, 1, 1, 0, ...] class ids, shape (m,)
```

## Use instead
```python
Y = np.eye(2)[y].T               # one-hot, (2, m), like the output
d3 = a3 - Y
```
"""

from __future__ import annotations

from nndoctor.findings import Finding
from nndoctor.observations import Observations
from nndoctor.rules._model import loss_label
from nndoctor.rules._task import task

ID = "labels-not-encoded"
KIND = "cause"
# After the tiny-batch trial, output units whose outputs correlate above 0.5
# across samples were trained towards one shared target: the ids broadcast.
# One-hot training drives two units to -1 (measured: seed_000 and its fix).
SHARED_TARGET = 0.5
EXPLAINS = ("prediction-collapse", "loss-plateau", "accuracy-stuck", "no-better-than-baseline")
# A loss that reads class ids as classes equals the true-class cross-entropy on
# the same outputs (ratio 1, or the batch size for a sum); a loss that multiplies
# or subtracts the ids lands far away. A factor of 2 either side leaves room for
# label smoothing or a small penalty term.
SAME_LOSS = (0.5, 2.0)


def check(obs: Observations) -> list[Finding]:
    broadcast = _broadcast(obs)
    if broadcast or obs.data is None or obs.data.labels is None or obs.output is None:
        return broadcast
    if task(obs).regression:
        return []  # regression targets are values, not class labels to encode
    labels, width = obs.data.labels, obs.output.width
    label_format = obs.model.label_format if obs.model else None  # Keras: sparse_* reads ids
    # NLLLoss and CrossEntropyLoss (PyTorch) read class ids; so do Keras sparse_* losses.
    expects_ids = obs.model is not None and (
        "ids" in (obs.model.loss_expects, label_format) or obs.model.loss == "nll"
    )
    evidence = {
        "label_shape": list(labels.shape),
        "label_encoding": labels.encoding,
        "label_range": [labels.min, labels.max],
        "output_units": width,
        "output_activation": obs.output.activation,
    }

    def found(
        title: str, fix: str, confidence: float, explains: tuple[str, ...] = EXPLAINS
    ) -> list[Finding]:
        return [
            Finding(
                id=ID,
                kind=KIND,
                severity="error",
                confidence=confidence,
                title=title,
                where=f"labels {tuple(labels.shape)} vs output with {width} units",
                evidence=evidence,
                fix=fix,
                explains=explains,
            )
        ]

    if _binary_loss_out_of_range(obs):
        return found(
            f"{loss_label(obs.model)} reads targets in [0, 1] but they range from "
            f"{labels.min:g} to {labels.max:g}",
            "Scale the targets into [0, 1]: masks stored as 0/255 become y / 255; map other "
            "labels to 0 and 1.",
            0.95,
        )
    agreement = obs.overfit.unit_agreement if obs.overfit else None
    count_problem = labels.max >= width or (labels.min >= 1 and labels.max == width)
    if label_format == "ids" and labels.encoding == "one-hot":
        return found(
            f"Labels are one-hot rows of {labels.n_classes} but the loss reads class ids",
            "Pass class ids, y = y.argmax(axis=1), or use categorical_crossentropy with "
            "one-hot labels.",
            0.9,
        )
    if label_format == "one-hot" and labels.encoding == "ids" and width > 1 and not count_problem:
        return found(
            f"Labels are class ids of shape {tuple(labels.shape)} but the loss reads one-hot "
            f"rows of {width}",
            f"One-hot encode the labels, y = keras.utils.to_categorical(y, {width}), or use "
            "sparse_categorical_crossentropy with class ids.",
            0.9,
        )
    if labels.encoding == "ids" and width > 1 and not expects_ids and not count_problem:
        # Code that indexes by id (probs[range(m), y]) is right with ids: only
        # the trial tells it from code that broadcasts them.
        ratio = obs.output.loss_over_class_ce
        misread = ratio is not None and not (
            SAME_LOSS[0] <= ratio <= SAME_LOSS[1]
            or abs(ratio - obs.data.n_samples) <= 0.1 * obs.data.n_samples
        )
        if misread:
            evidence["loss_over_true_class_cross_entropy"] = round(float(ratio), 3)
        if agreement is not None and agreement <= SHARED_TARGET and not misread:
            return []
        if agreement is not None:
            evidence["output_unit_correlation_after_trial"] = round(agreement, 3)
        return found(
            f"Labels are class ids of shape {tuple(labels.shape)} but the output has "
            f"{width} units per sample"
            + (
                ", and your loss does not read them as classes"
                if misread
                else ", and training moves all units together"
                if agreement is not None
                else ""
            ),
            f"One-hot encode the labels in the output's layout: Y = np.eye({width})[y] "
            f"(samples in rows) or np.eye({width})[y].T (samples in columns); or use a "
            "single sigmoid unit for two classes.",
            0.9 if agreement is not None or misread else 0.5,
            # Gradients written for one-hot targets disagree with a loss that
            # misreads the ids: the gradient check then blames the gradient.
            EXPLAINS + ("wrong-gradient",) if misread else EXPLAINS,
        )
    if labels.encoding == "ids" and width > 1:
        if labels.min >= 1 and labels.max == width:
            return found(
                f"Labels run from 1 to {width}, but output units are numbered 0 to {width - 1}",
                "Subtract 1 from the labels: y = y - 1.",
                0.9,
            )
        if labels.max >= width:
            return found(
                f"Labels name {int(labels.max) + 1} classes but the output has only {width} units",
                f"Give the last layer {int(labels.max) + 1} units.",
                0.9,
            )
    if labels.encoding in ("one-hot", "multi-hot") and labels.n_classes != width and width > 1:
        return found(
            f"One-hot labels have {labels.n_classes} columns but the output has {width} units",
            f"Make the output {labels.n_classes} units wide, or encode the labels "
            f"with {width} classes.",
            0.9,
        )
    if width == 1 and obs.output.activation != "linear" and (labels.min < 0 or labels.max > 1):
        return found(
            f"A sigmoid output lies in [0, 1] but the labels range from {labels.min:g} "
            f"to {labels.max:g}",
            "Map the labels to 0 and 1 for a binary output, or use "
            "one unit per class with softmax for more classes.",
            0.9,
        )
    return []


def _binary_loss_out_of_range(obs: Observations) -> bool:
    """Binary cross-entropy on targets outside [0, 1]: its terms can go negative."""
    labels = obs.data.labels if obs.data else None
    if obs.model is None or labels is None or task(obs).loss_family != "binary":
        return False
    if obs.model.loss not in ("bce", "bce_logits"):
        return False  # hinge losses read -1/+1 targets
    return labels.min < 0 or labels.max > 1


def _broadcast(obs: Observations) -> list[Finding]:
    """A regression loss whose target shape differs from the output's: silent broadcasting."""
    model = obs.model
    if model is None or model.loss not in ("mse", "l1") or not model.target_shape:
        return []
    if tuple(model.target_shape) == tuple(model.output_shape):
        return []
    return [
        Finding(
            id=ID,
            kind=KIND,
            severity="error",
            confidence=0.9,
            title=f"The loss compares outputs of shape {tuple(model.output_shape)} with targets of "
            f"shape {tuple(model.target_shape)}: they broadcast silently",
            where="the targets given to the loss",
            location=model.loss_location,
            evidence={
                "output_shape": list(model.output_shape),
                "target_shape": list(model.target_shape),
                "loss": model.loss,
            },
            fix="Give targets the output's shape: one-hot encode class ids "
            "(F.one_hot(y, K).float()) for K outputs, or y.view(-1, 1) for one output; for "
            "classification prefer CrossEntropyLoss on class ids.",
            explains=EXPLAINS,
        )
    ]
