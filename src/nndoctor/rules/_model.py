"""Helpers for rules that read the model configuration (ModelSpec)."""

from __future__ import annotations

from nndoctor.findings import Location
from nndoctor.observations import ModelSpec

LOSS_NAMES = {
    "cross_entropy": "CrossEntropyLoss / categorical cross-entropy",
    "nll": "NLLLoss",
    "bce": "BCELoss / binary cross-entropy",
    "bce_logits": "BCEWithLogitsLoss",
    "mse": "MSELoss",
    "l1": "L1Loss",
}


def last_layer_location(model: ModelSpec) -> Location | None:
    """Where the model's last layer was built, else where the loss was called."""
    for layer in reversed(model.layers):
        if layer.kind == model.last_layer and layer.location is not None:
            return layer.location
    return model.loss_location


def loss_label(model: ModelSpec) -> str:
    return LOSS_NAMES.get(model.loss or "", model.loss or "the loss")


def layers_phrase(names: list[str]) -> str:
    """Layers named in a sentence: 'layer 1', 'layers 0, 2', 'layer fc1'.

    PyTorch names the children of `nn.Sequential` by position ('1'), which alone
    reads as a count ('the units of 1'); the word 'layer' makes it a name.
    """
    return f"layer{'s' if len(names) != 1 else ''} {', '.join(names)}"
