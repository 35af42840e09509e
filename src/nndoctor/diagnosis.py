"""Ranks the findings into a diagnosis: the causes that explain what was seen, first."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from nndoctor.findings import SEVERITY_RANK, Finding, Trial, number, plural
from nndoctor.observations import Observations
from nndoctor.rules import labels_misaligned, run_rules
from nndoctor.verdict import margin

SEVERITY_WEIGHT = {"error": 1.0, "warning": 0.6, "info": 0.2}
# Symptoms that say the run learned nothing that beats a trivial predictor.
NOT_LEARNING = ("no-better-than-baseline", "validation-at-chance")


@dataclass(frozen=True)
class Experiment:
    name: str
    passed: bool | None  # None: inconclusive (the experiment could not decide)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """The diagnosis of one run: ranked findings, experiments and the loss series.

    Every entry point's `report()` returns one and prints nothing: `print(report)`
    or `report.show()` prints it in a terminal, a notebook renders it as HTML
    (`_repr_html_`), `report.to_json()` is report.json as a dict.
    """

    framework: str
    findings: tuple[Finding, ...]
    experiments: tuple[Experiment, ...]
    series: dict[str, list[Any]]
    observations: Observations = field(repr=False, compare=False)

    @property
    def healthy(self) -> bool:
        return not any(f.is_problem for f in self.findings)

    @property
    def ids(self) -> list[str]:
        """Ids of the warning/error findings, most likely first."""
        return [f.id for f in self.findings if f.is_problem]

    @property
    def summary(self) -> str:
        causes = [f for f in self.findings if f.kind == "cause" and f.is_problem]
        symptoms = [f for f in self.findings if f.kind == "symptom" and f.is_problem]
        if causes:
            rest = len(causes) - 1
            more = f" {rest} more cause{'s' if rest != 1 else ''} below." if rest else ""
            # Demoted causes rank last: one leads only when every cause found is one.
            lead = (
                "Possible cause, though a copy with its fix did no better"
                if demoted(causes[0])
                else "Most likely cause"
            )
            return f"{lead}: {_sentence_inside(causes[0].title)}.{more}"
        stuck = next((f for f in symptoms if f.id in NOT_LEARNING), None)
        if stuck is not None:
            # TAXONOMY, Healthy: a run that did not beat the trivial predictor is
            # never healthy; with no cause found the report says so plainly.
            return (
                f"Not learning, cause not identified: {_sentence_inside(stuck.title)} "
                "(see the evidence and the checks below)."
            )
        if symptoms:
            return (
                f"{symptoms[0].title}; nndoctor found no cause that explains it "
                "(see the checks below)."
            )
        losses = self.observations.losses
        if len(losses) >= 2:
            return (
                f"No problem found: the loss went from {number(losses[0])} to "
                f"{number(losses[-1])} over {plural(len(losses), 'recorded step')}."
            )
        if not self.experiments and not self.observations.trace:
            return (
                "No training observed: nndoctor saw no model, check or recorded step. "
                "It watches PyTorch optimizer steps and Keras fit() by itself; for NumPy "
                "code, call nndoctor.numpy.check(...) or Monitor().record(loss) in your loop."
            )
        passed = sum(e.passed is True for e in self.experiments)
        failed = sum(e.passed is False for e in self.experiments)
        undecided = len(self.experiments) - passed - failed
        open_ = f" ({undecided} inconclusive)" if undecided else ""
        if not failed:
            return f"No problem found: {plural(passed, 'check')} passed{open_}."
        return (
            f"No problem found: {passed} of {plural(len(self.experiments), 'check')} "
            f"passed{open_}; what the failed ones mean is below."
        )

    def to_json(self) -> dict[str, Any]:
        from nndoctor.report.json_report import to_json

        return to_json(self)

    def show(self, console: Any = None) -> None:
        from nndoctor.report.terminal import render

        render(self, console)

    def __str__(self) -> str:
        from nndoctor.report.terminal import render_text

        return render_text(self)

    def _repr_html_(self) -> str:
        """The HTML report inline in a notebook: the same content as report.html."""
        from nndoctor.report.html import fragment

        return fragment(self)


def _sentence_inside(title: str) -> str:
    """A title continued inside a sentence: 'The loss ...' -> 'the loss ...', but names
    such as 'CrossEntropyLoss' or 'NLLLoss' keep their capitals."""
    first = title.split(" ", 1)[0]
    if first[1:] != first[1:].lower():
        return title
    return title[0].lower() + title[1:]


def diagnose(obs: Observations) -> Report:
    findings = run_rules(obs)
    found = {f.id for f in findings if f.is_problem}
    # A cause another found cause explains is its mechanism (dead-relu under
    # lr-too-high, vanishing-gradient under wrong-activation): it ranks after it.
    mechanisms = {
        e for f in findings if f.kind == "cause" and f.is_problem for e in f.explains if e != f.id
    } & found
    observed = {f.id for f in findings if f.kind == "symptom" and f.is_problem}
    findings = [
        f.with_explains(tuple(s for s in f.explains if s in observed)) if f.kind == "cause" else f
        for f in findings
    ]
    findings = [_with_trial(f, obs) for f in findings]
    proven = "script-failed" in found and bool(found & PROVEN_BY_CONFIGURATION)
    findings.sort(key=lambda f: _rank(f, f.id in mechanisms, _lead(f, proven)))
    findings = [_symptom_fix(f, findings) for f in findings]  # names the causes in rank order
    return Report(obs.framework, tuple(findings), tuple(_experiments(obs)), _series(obs), obs)


# The fix a symptom rule writes when the fix is whatever caused it.
FIX_THE_CAUSES = "Fix the causes listed above it."
NO_CAUSE_FIX = (
    "No cause nndoctor knows explains this: read the checks below, and run "
    "`nndoctor explain {id}` for what usually causes it."
)


def _symptom_fix(f: Finding, findings: list[Finding]) -> Finding:
    """A symptom's fix names the causes found that explain it, or says none was found.

    A rule may follow FIX_THE_CAUSES with its own advice for when no cause is found.
    """
    if f.kind != "symptom" or not f.fix.startswith(FIX_THE_CAUSES):
        return f
    causes = [c.id for c in findings if c.kind == "cause" and c.is_problem and f.id in c.explains]
    if causes:
        return replace(
            f,
            fix=f"Fix the cause{'s' if len(causes) > 1 else ''} that explain"
            f"{'' if len(causes) > 1 else 's'} it: {', '.join(causes)}.",
        )
    advice = f.fix[len(FIX_THE_CAUSES) :].strip()
    if advice:
        return replace(f, fix=f"No cause nndoctor knows explains this. {advice}")
    return replace(f, fix=NO_CAUSE_FIX.format(id=f.id))


# Causes the configuration or a direct count proves (the loss call, the layer
# list, the zero_grad count): a short trial that shows no gain says the budget
# was too small for the gain to show, not that the cause is wrong.
PROVEN_BY_CONFIGURATION = frozenset(
    {
        "double-softmax",
        "missing-output-activation",
        "softmax-single-unit",
        "wrong-loss-for-task",
        "labels-not-encoded",
        "params-not-updated",
        "grad-not-zeroed",
    }
)


def demoted(f: Finding) -> bool:
    """An inferred cause whose own fix trial ran and did not help.

    An inconclusive trial (validated None) is no evidence either way, and a cause
    the configuration proves stands whatever a short trial showed.
    """
    return f.kind == "cause" and f.validated is False and not proven_by_configuration(f)


def proven_by_configuration(f: Finding) -> bool:
    """wrong-activation's output variants (targets outside the output's range, a sigmoid
    over exclusive classes) follow from the layer config and the loss's domain, as
    double-softmax does; its hidden-layer variants (no activation, a deep sigmoid stack)
    are inferred from how the run went. lr-too-high's early blow-up is measured, not
    inferred (updates larger than the weights, the loss thrown up): a copy at a lower rate
    that ends no better shows the run recovered, which the finding already says."""
    output_variant = f.id == "wrong-activation" and "output_activation" in f.evidence
    blowup = f.id == "lr-too-high" and "loss_peak_early" in f.evidence
    return f.id in PROVEN_BY_CONFIGURATION or output_variant or blowup


def _with_trial(f: Finding, obs: Observations) -> Finding:
    """Attach the fix trial of this cause; an inferred cause whose fix did not help drops:
    error to warning, to a note when it explains nothing seen, and ranked after the others."""
    trial = next((t for t in obs.fix_trials if t.cause == f.id), None)
    if trial is None or f.kind != "cause":
        return f
    tried = replace(
        f,
        validated=trial.validated,
        trial=Trial(trial.steps, trial.metric, trial.before, trial.after, trial.verdict),
    )
    if demoted(tried):
        severity = "warning" if f.explains and f.severity != "info" else "info"
        return replace(tried, confidence=round(f.confidence * 0.5, 3), severity=severity)
    # A note (saturated units while the loss still falls) whose fix a copy proves
    # clearly better was holding the run back: the falling loss was not learning.
    return replace(
        tried, severity="warning" if trial.validated and f.severity == "info" else f.severity
    )


def _lead(f: Finding, crash_with_proven_cause: bool) -> int:
    """0 leads, 1 next, 2 the rest: the crash or the missing training is fixed first.

    A cause the configuration proves goes before a crash, since it can be what
    crashed (labels the loss cannot read raise a shape error in Keras).
    """
    if f.id == "no-training-observed":
        return 0
    if f.id == "script-failed":
        return 1 if crash_with_proven_cause else 0
    if crash_with_proven_cause and f.id in PROVEN_BY_CONFIGURATION:
        return 0
    return 2


def _rank(
    f: Finding, mechanism: bool = False, lead: int = 2
) -> tuple[int, int, int, int, int, int, float]:
    # Problems before notes; a crash or no training at all before what was read
    # from the steps (fix those first); causes before symptoms; a cause whose fix
    # trial did not help after the others; a cause that explains a seen symptom
    # before one that explains none; then severity x confidence.
    return (
        0 if f.is_problem else 1,
        lead,
        0 if f.kind == "cause" else 1,
        1 if demoted(f) else 0,
        1 if mechanism else 0,
        0 if f.explains else 1,
        -SEVERITY_WEIGHT[f.severity] * f.confidence - SEVERITY_RANK[f.severity] * 1e-3,
    )


def _experiments(obs: Observations) -> list[Experiment]:
    out = []
    if obs.gradcheck and obs.gradcheck.params:
        errors = {
            p.name: p.rel_error if math.isfinite(p.rel_error) else None
            for p in obs.gradcheck.params
        }
        worst = max((e for e in errors.values() if e is not None), default=0.0)
        out.append(
            Experiment(
                "gradient-check",
                all(e is not None for e in errors.values()) and worst <= 1e-2,
                {"rel_error": errors},
            )
        )
    if obs.mutation is not None:
        out.append(
            Experiment(
                "gradient-leaves-weights",
                not obs.mutation.mutated,
                {"mutated": list(obs.mutation.mutated)},
            )
        )
    if obs.update is not None:
        out.append(
            Experiment(
                "update-check",
                bool(obs.update.changed) and not obs.update.unchanged,
                {
                    "changed": list(obs.update.changed),
                    "unchanged": list(obs.update.unchanged),
                    "update_ratio": {r.name: r.value for r in obs.update.update_ratios},
                    "raised": obs.update.step_raised,
                },
            )
        )
    if obs.evaluation is not None:
        ev = obs.evaluation
        out.append(
            Experiment(
                "input-dependence",
                ev.predict_varies,
                {
                    "predict_varies": ev.predict_varies,
                    "forward_varies": ev.forward_varies,
                    "max_disagreement": ev.max_disagreement,
                },
            )
        )
    if obs.overfit is not None:
        t = obs.overfit
        out.append(
            Experiment(
                "overfit-tiny-batch",
                t.after < 0.5 * t.before,
                {
                    "examples": t.examples,
                    "steps": t.steps,
                    "seconds": t.seconds,
                    "before": t.before,
                    "after": t.after,
                },
            )
        )
    if obs.label_control is not None:
        c = obs.label_control
        out.append(
            Experiment(
                "shuffled-labels-control",
                {labels_misaligned.ALIGNED: True, labels_misaligned.MISALIGNED: False}.get(
                    labels_misaligned.outcome(obs) or ""
                ),
                {
                    "steps": c.steps,
                    "held_accuracy_real_labels": round(c.real_held, 4),
                    "held_accuracy_shuffled_labels": round(c.shuffled_held, 4),
                    "held_majority_guess": round(c.chance, 4),
                    "held_rows": c.held_samples,
                    "train_accuracy_real_labels": round(c.real_train, 4),
                    **(
                        {"train_accuracy_shuffled_labels": round(c.shuffled_train, 4)}
                        if c.shuffled_train is not None
                        else {}
                    ),
                },
            )
        )
    if obs.lr_probe is not None:
        p = obs.lr_probe
        out.append(
            Experiment(
                "lr-range-probe",
                p.best == 1.0,
                {
                    "steps": p.steps,
                    "loss_before": p.start,
                    "loss_after_by_lr_factor": {
                        # Paired as far as both go: a trace edited by hand may differ.
                        f"x{f:g}": v
                        for f, v in zip(p.factors, p.losses, strict=False)
                    },
                    "best_factor": p.best,
                },
            )
        )
    if obs.input_dependence is not None:
        d = obs.input_dependence
        out.append(
            Experiment(
                "input-dependence",
                d.accuracy_real >= d.accuracy_blank + margin(d.samples),
                {
                    "samples": d.samples,
                    "accuracy_real_inputs": round(d.accuracy_real, 4),
                    "accuracy_blank_inputs": round(d.accuracy_blank, 4),
                    "output_spread": round(d.output_spread, 4),
                },
            )
        )
    return out


def _series(obs: Observations) -> dict[str, list[Any]]:
    series: dict[str, list[Any]] = {"step": [], "loss": []}
    metric: list[Any] = []
    for record in obs.trace:
        series["step"].append(record.step)
        series["loss"].append(
            record.loss if record.loss is None or math.isfinite(record.loss) else None
        )
        metric.append(record.metric)
    if any(m is not None for m in metric):
        series["metric"] = metric
    return series
