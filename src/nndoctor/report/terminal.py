"""The terminal report: the answer first, then each finding's numbers, fix and place.

Built from rich renderables; colour carries severity only. rich drops colour
by itself in a pipe and when NO_COLOR is set, and the text reads the same.
"""

from __future__ import annotations

import io
import json
from typing import Any

from rich.console import Console, Group
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from nndoctor.findings import Finding, number, plural

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
MAX_EVIDENCE = 8  # items shown per finding; report.json has all of them
# Evidence that changes how the other numbers read: always shown, never cut.
ALWAYS_SHOWN = ("note",)


def renderable(report: Any) -> Group:
    problems = [f for f in report.findings if f.is_problem]
    notes = [f for f in report.findings if not f.is_problem]
    head = Text()
    head.append("nndoctor", style="bold")
    head.append(f" · {report.framework} · ")
    head.append(
        "healthy"
        if report.healthy
        else f"{len(problems)} problem{'s' if len(problems) != 1 else ''}",
        style="green" if report.healthy else "bold red",
    )
    parts: list[Any] = [Rule(head, align="left"), Text(report.summary, style="bold"), Text("")]
    for rank, finding in enumerate(problems, 1):
        parts.append(_finding(rank, finding))
    if report.experiments:
        checks = Text("checks: ")
        for i, experiment in enumerate(report.experiments):
            checks.append(("" if i == 0 else ", ") + experiment.name + " ")
            word = check_verdict(experiment.passed)
            checks.append(word, style=CHECK_STYLE[word])
        parts.append(checks)
        for experiment in report.experiments:
            if experiment.passed is False:
                meaning = failed_check_meaning(experiment, report.healthy)
                line = Text(f"{experiment.name} failed: {meaning}", style="dim")
                parts.append(Padding(line, (0, 0, 0, 2)))
            elif experiment.passed is None:
                meaning = INCONCLUSIVE_CHECK.get(experiment.name, INCONCLUSIVE_DEFAULT)
                line = Text(f"{experiment.name} inconclusive: {meaning}", style="dim")
                parts.append(Padding(line, (0, 0, 0, 2)))
    for line in reading_notes(report):
        # A grid, so that a long note wraps under itself, not under the label.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style=STYLE["info"], no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row("note", Text(line))
        parts.append(grid)
    for finding in notes:
        parts.append(
            Text.assemble(("note ", STYLE["info"]), (f"[{finding.id}] ", "dim"), finding.title)
        )
    return Group(*parts)


def _finding(rank: int, finding: Finding) -> Padding:
    title = Text()
    title.append(f"{rank}. ")
    title.append(f"{finding.severity.upper()} ", style=STYLE[finding.severity])
    title.append(f"{finding.id}", style="bold")
    title.append(f" ({finding.kind}, confidence {finding.confidence:.2f})", style="dim")
    # Two columns, so that a long fix wraps under itself, not under the labels.
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(ratio=1)
    where = finding.where
    if finding.location is not None:
        where += f" at {finding.location.file}:{finding.location.line}"
    grid.add_row("where", Text(where))
    items = [(k, v) for k, v in finding.evidence.items() if k not in ALWAYS_SHOWN]
    for key, value in items[:MAX_EVIDENCE]:
        grid.add_row(f"  {key}", Text(_value(value)))
    if len(items) > MAX_EVIDENCE:
        grid.add_row("", Text(f"... {len(items) - MAX_EVIDENCE} more in report.json"))
    for key in ALWAYS_SHOWN:
        if key in finding.evidence:
            grid.add_row(f"  {key}", Text(_value(finding.evidence[key])))
    grid.add_row("fix", Text(finding.fix))
    if finding.explains:
        grid.add_row("explains", Text(", ".join(finding.explains)))
    if finding.trial is not None:
        t = finding.trial
        verdict = "fix verified" if finding.validated else f"fix tried, {_not_verified(finding)}"
        steps = f"{t.steps} step{'s' if t.steps != 1 else ''}"
        grid.add_row(
            "trial",
            Text(f"{verdict}: {t.metric} {number(t.before)} -> {number(t.after)} in {steps}"),
        )
    body = Group(Text(finding.title, style="bold"), grid)
    return Padding(Group(title, Padding(body, (0, 0, 0, 3))), (0, 0, 1, 0))


def _not_verified(finding: Finding) -> str:
    if finding.validated is None:
        return "inconclusive (neither copy beat a constant guess)"
    return "did not help"


def _value(value: Any) -> str:
    if isinstance(value, float):
        return number(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


# What a failed check means, one line each: the checks line names them, this says
# why a check can fail on a run nndoctor calls healthy.
FAILED_CHECK = {
    "gradient-check": "your gradients disagree with finite differences for at least one "
    "array (relative error above 1e-2)",
    "gradient-leaves-weights": "computing the gradients changed the weights",
    "update-check": "one training step left some weights unchanged or raised an error",
    "overfit-tiny-batch": "a copy trained {steps} on {examples} did not halve its loss",
    "shuffled-labels-control": "real labels generalised no better than shuffled ones on held rows",
    "lr-range-probe": "a copy trained at {best} your learning rate reached a lower loss "
    "in {steps} steps than one at your rate",
    "input-dependence": "the predictions barely depend on the input",
}
# A check that could not decide says so: it is no evidence either way.
INCONCLUSIVE_CHECK = {
    "shuffled-labels-control": "the copy learned too little, held too few rows, or another "
    "cause could explain it, to tell real labels from shuffled ones; no evidence either way",
}
INCONCLUSIVE_DEFAULT = "it could not decide; no evidence either way"
CHECK_STYLE = {"passed": "green", "failed": "red", "inconclusive": "yellow"}


def check_verdict(passed: bool | None) -> str:
    """An experiment's verdict as a word: passed, failed or inconclusive (None)."""
    return "inconclusive" if passed is None else "passed" if passed else "failed"


HEALTHY_FAILED = {
    "overfit-tiny-batch": "with no other sign of a fault, the budget was too short for "
    "this model; not a finding",
    "lr-range-probe": "short runs favour larger rates: a tuning hint, not a finding",
}
HEALTHY_DEFAULT = "no rule found a fault behind it, so it does not count against the run"


def failed_check_meaning(experiment: Any, healthy: bool) -> str:
    """One line: what this failed check measured, and (healthy run) why it is not a fault."""
    details = experiment.details or {}
    text = FAILED_CHECK.get(experiment.name, "see `nndoctor explain` for the findings")
    if experiment.name == "lr-range-probe":
        best = details.get("best_factor")
        text = text.format(
            best=f"x{best:g}" if isinstance(best, (int, float)) else "another multiple of",
            steps=details.get("steps", "a few"),
        )
    if experiment.name == "overfit-tiny-batch":
        steps, examples = details.get("steps"), details.get("examples")
        text = text.format(
            steps=plural(steps, "step") if isinstance(steps, int) else "briefly",
            examples=plural(examples, "example") if isinstance(examples, int) else "a few examples",
        )
    if experiment.name == "input-dependence" and "predict_varies" in details:
        text = "your prediction function returned the same output for two different batches"
    elif experiment.name == "input-dependence":
        text = (
            "the trained copy was no more accurate on real inputs than on inputs "
            "replaced by their mean"
        )
    if healthy:
        text += f" ({HEALTHY_FAILED.get(experiment.name, HEALTHY_DEFAULT)})"
    return text


def reading_notes(report: Any) -> list[str]:
    """Notes that change how the report's numbers read (not findings)."""
    out = []
    output = getattr(report.observations, "output", None)
    if output is not None and getattr(output, "saturated", False) and report.framework == "numpy":
        out.append(
            "your output is saturated at your weights, so the gradient check, the input "
            "check and the tiny-batch trial ran with each weight matrix rescaled to std "
            "1/sqrt(fan_in); fix trials start from your own weights, so their numbers differ"
        )
    return out


def render(report: Any, console: Console | None = None) -> None:
    (console or Console()).print(renderable(report))


def render_text(report: Any, width: int = 100) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, no_color=True, color_system=None, force_terminal=False).print(
        renderable(report)
    )
    return buffer.getvalue()
