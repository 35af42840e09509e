"""The rule registry: every rule nndoctor has, one module each.

A rule reads `Observations` and returns findings; it never imports a
framework. Its docstring is its documentation page (`nndoctor explain ID`).
"""

from __future__ import annotations

from dataclasses import replace
from types import ModuleType

from nndoctor.findings import Finding, internal_error
from nndoctor.observations import Observations
from nndoctor.rules import (
    accuracy_stuck,
    bad_batch_size,
    bad_data_values,
    bad_init,
    class_imbalance,
    dead_relu,
    double_softmax,
    eval_bug,
    experiments_skipped,
    exploding_gradient,
    grad_not_zeroed,
    inputs_not_normalized,
    labels_misaligned,
    labels_not_encoded,
    loss_plateau,
    lr_too_high,
    lr_too_low,
    missing_output_activation,
    nan_loss,
    no_better_than_baseline,
    no_training_observed,
    over_regularization,
    params_not_updated,
    prediction_collapse,
    predictions_ignore_input,
    ranks_out_of_sync,
    ranks_same_data,
    sampler_epoch_not_set,
    saturated_activations,
    script_failed,
    several_models,
    softmax_single_unit,
    targets_not_normalized,
    too_few_updates,
    unshuffled_data,
    unstable_loss,
    validation_at_chance,
    vanishing_gradient,
    wrong_activation,
    wrong_gradient,
    wrong_loss_for_task,
)
from nndoctor.rules._run import cut_short

RULES: tuple[ModuleType, ...] = (
    script_failed,
    no_training_observed,
    softmax_single_unit,
    double_softmax,
    missing_output_activation,
    wrong_loss_for_task,
    labels_not_encoded,
    labels_misaligned,
    inputs_not_normalized,
    targets_not_normalized,
    bad_data_values,
    class_imbalance,
    bad_init,
    unstable_loss,
    over_regularization,
    wrong_gradient,
    params_not_updated,
    grad_not_zeroed,
    too_few_updates,
    bad_batch_size,
    lr_too_low,
    lr_too_high,
    unshuffled_data,
    ranks_out_of_sync,
    ranks_same_data,
    sampler_epoch_not_set,
    dead_relu,
    saturated_activations,
    wrong_activation,
    vanishing_gradient,
    exploding_gradient,
    eval_bug,
    predictions_ignore_input,
    prediction_collapse,
    loss_plateau,
    accuracy_stuck,
    no_better_than_baseline,
    validation_at_chance,
    nan_loss,
    several_models,
    experiments_skipped,
)


# Findings about how the run went, not read from its training (TAXONOMY, "About the run").
ABOUT_THE_RUN = frozenset(
    {
        script_failed.ID,
        no_training_observed.ID,
        several_models.ID,
        experiments_skipped.ID,
        "internal-error",
    }
)


def by_id() -> dict[str, ModuleType]:
    return {rule.ID: rule for rule in RULES}


def summary_line(rule: ModuleType) -> str:
    return (rule.__doc__ or "").strip().splitlines()[0]


def pages() -> dict[str, tuple[str, str]]:
    """Every id with a documentation page, in registry order: id -> (kind, page).

    The page is the rule's docstring. `nndoctor explain ID` prints it and the docs
    site is generated from it at build time, so it is written once.
    """
    out = {rule.ID: (rule.KIND, (rule.__doc__ or "").strip()) for rule in RULES}
    out["internal-error"] = ("symptom", (internal_error.__doc__ or "").strip())
    return out


def explain(finding_id: str) -> str | None:
    """What `nndoctor explain ID` prints: 'ID (kind)', a blank line, the page; None if unknown."""
    page = pages().get(finding_id)
    return None if page is None else f"{finding_id} ({page[0]})\n\n{page[1]}"


def run_rules(obs: Observations) -> list[Finding]:
    """Every rule's findings; a rule that fails becomes an internal-error finding."""
    findings: list[Finding] = [internal_error(e.where, e.message) for e in obs.errors]
    for rule in RULES:
        try:
            findings.extend(rule.check(obs))
        except Exception as error:  # noqa: BLE001 - one broken rule must not hide the others
            findings.append(internal_error(f"rule {rule.ID}", error))
    reason = cut_short(obs)
    if reason is None:
        return findings
    # Read from a run that did not end by itself: every reading says so.
    return [
        f if f.id in ABOUT_THE_RUN else replace(f, evidence={**f.evidence, "run_cut_short": reason})
        for f in findings
    ]
