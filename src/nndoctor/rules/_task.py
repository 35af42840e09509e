"""What the run is trained to do, read from the loss, the output width and the targets.

A rule that only makes sense for one task (label encoding, class imbalance,
collapse onto one class, frozen accuracy) asks `task(obs)` and stays silent on
the others: a one-output regression has no classes to encode or collapse onto.
"""

from __future__ import annotations

from dataclasses import dataclass

from nndoctor.observations import Observations

# Loss names as the probes record them (ModelSpec.loss: the torch module or
# functional name mapped to the short vocabulary, the Keras function name, or
# the class name of a loss nndoctor does not map) -> the family of loss.
# "categorical": one of K exclusive classes; "binary": an independent yes/no per
# output unit; "squared" / "absolute": regression losses whose trivial
# predictor is the mean / the median of the targets; "regression": other
# regression losses (no baseline formula here).
LOSS_FAMILIES: dict[str, str] = {
    # categorical
    "cross_entropy": "categorical",
    "nll": "categorical",
    "categorical_crossentropy": "categorical",
    "sparse_categorical_crossentropy": "categorical",
    "categorical_focal_crossentropy": "categorical",
    "categorical_hinge": "categorical",
    "CrossEntropyLoss": "categorical",
    "NLLLoss": "categorical",
    "MultiMarginLoss": "categorical",
    # binary, one decision per unit
    "bce": "binary",
    "bce_logits": "binary",
    "binary_crossentropy": "binary",
    "binary_focal_crossentropy": "binary",
    "hinge": "binary",
    "squared_hinge": "binary",
    "BCELoss": "binary",
    "BCEWithLogitsLoss": "binary",
    "MultiLabelSoftMarginLoss": "binary",
    "MultiLabelMarginLoss": "binary",
    "SoftMarginLoss": "binary",
    # regression
    "mse": "squared",
    "mean_squared_error": "squared",
    "MSELoss": "squared",
    "l1": "absolute",  # the torch probe records L1, SmoothL1 and Huber as "l1"
    "mean_absolute_error": "absolute",
    "L1Loss": "absolute",
    "log_cosh": "regression",
    "huber": "regression",
    "HuberLoss": "regression",
    "SmoothL1Loss": "regression",
    "mean_squared_logarithmic_error": "regression",
    "mean_absolute_percentage_error": "regression",
    "poisson": "regression",
    "PoissonNLLLoss": "regression",
    "GaussianNLLLoss": "regression",
}
REGRESSION_FAMILIES = frozenset({"squared", "absolute", "regression"})
# Losses that are >= 0 by their math for any valid input (a cross-entropy of
# probabilities, a squared or absolute error): a negative value proves that the
# inputs are not what the loss assumes (targets outside [0, 1], raw scores).
NON_NEGATIVE = frozenset({"categorical", "binary", "squared", "absolute"})


@dataclass(frozen=True)
class Task:
    """The task of a run, and what it was read from."""

    kind: str  # "classification", "binary", "multi-label", "regression", "unknown"
    loss_family: str | None  # a LOSS_FAMILIES value, None when the loss is unknown
    classes: int | None  # exclusive classes, or tags for multi-label
    source: str  # how it was decided, for evidence

    @property
    def regression(self) -> bool:
        return self.kind == "regression"


def task(obs: Observations) -> Task:
    """Classification (K >= 2 exclusive classes), binary, multi-label or regression."""
    model = obs.model
    labels = obs.data.labels if obs.data else None
    width = (model.output_width if model else None) or (obs.output.width if obs.output else None)
    loss = model.loss if model else None
    family = LOSS_FAMILIES.get(loss or "")
    encoding = labels.encoding if labels else None
    if family == "categorical":
        k = max(width or 0, labels.n_classes if labels else 0)
        return Task("classification", family, k or None, f"loss {loss}")
    if family == "binary":
        if (width or 1) > 1 or encoding == "multi-hot":
            tags = width or (labels.n_classes if labels else None)
            return Task("multi-label", family, tags, f"loss {loss} on {tags} output units")
        return Task("binary", family, 2, f"loss {loss} on one output unit")
    if family in REGRESSION_FAMILIES:
        classes = labels.n_classes if labels and encoding in ("ids", "one-hot") else 0
        if (width or 1) > 1 and 2 <= classes <= (width or 1):
            # A regression loss on class ids or one-hot rows that fit the output
            # units: a classifier trained with the wrong loss (wrong-loss-for-task).
            return Task("classification", family, width, f"loss {loss} on class targets")
        return Task("regression", family, None, f"loss {loss} with {width or '?'} output(s)")
    return _from_targets(obs, family, width)


def _from_targets(obs: Observations, family: str | None, width: int | None) -> Task:
    """No known loss (NumPy code, a hand-written loss): read the targets and outputs."""
    labels = obs.data.labels if obs.data else None
    if labels is None:
        return Task("unknown", family, None, "no loss or targets seen")
    if labels.encoding == "continuous":
        return Task("regression", family, None, "continuous targets")
    if labels.encoding == "multi-hot":
        return Task("multi-label", family, labels.n_classes, "multi-hot targets")
    if labels.encoding == "one-hot" or (width or 1) > 1:
        return Task("classification", family, max(width or 0, labels.n_classes), "class targets")
    if labels.n_classes <= 2:
        return Task("binary", family, 2, "0/1 targets on one output")
    # Integer targets on one output: counts to regress, or class ids squeezed into
    # one unit. Neither reading is safe, so no task-specific rule is silenced.
    return Task("unknown", family, None, "integer targets on one output")
