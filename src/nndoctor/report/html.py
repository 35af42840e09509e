"""The HTML report: one self-contained page, readable offline, with no script in it.

The page is plain HTML and CSS; plots are matplotlib figures written as inline
SVG. There is no JavaScript at all, and a Content-Security-Policy forbids any
script and any request, so a hostile name in someone's run (a script path,
a layer name, exception text) can only ever show up as text: every such
string goes through `html.escape` here, and matplotlib escapes the text it
writes into SVG.

matplotlib is optional (`pip install nndoctor[html]`): without it the report
keeps all its text and says how to get the plots. Rendering never touches
pyplot or the user's backend (the report may be drawn inside the user's
process, e.g. a notebook): figures are `matplotlib.figure.Figure` objects and
settings live in a local `rc_context`.

Adding a plot: write `_plot_NAME(report) -> Chart | None` (None when its data
is absent) and add it to `PLOTS`. Nothing else changes.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nndoctor import __version__
from nndoctor.findings import Finding, number, plural
from nndoctor.report.terminal import check_verdict
from nndoctor.rules import lr_too_high, lr_too_low, wrong_gradient

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from nndoctor.diagnosis import Report

PLOTS_NOTE = "plots need the optional extra: pip install nndoctor[html]"
MAX_POINTS = 2000  # per line: min and max of each bucket, so spikes survive downsampling
MAX_COLUMNS = 400  # time buckets of a heatmap or stacked-share plot
MAX_CLASSES = 10  # classes drawn by name in the prediction plot; the rest become "other"
GRADCHECK_KINK = 1e-4  # CS231n: up to ~1e-4 is normal near ReLU kinks
UPDATE_RATIO_TYPICAL = 1e-3  # CS231n "ratio of updates to weights ... around 1e-3"
UNIT_SHARE_FLAGGED = 0.5  # dead-relu and saturated-activations flag half a layer's units
SEVERITY_COLOR = {"error": "#c62828", "warning": "#b26a00", "info": "#0b6fa4"}
GOOD, BAD, MIDDLE = "#2e7d32", "#c62828", "#b26a00"

# Only inline styles and the data: images matplotlib embeds; no script, no request.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class Chart:
    """A drawn figure and the sentence that says how to read it."""

    figure: Figure
    caption: str


@dataclass(frozen=True)
class PlotSpec:
    key: str  # the figure's data-plot attribute: stable, tests and users select by it
    title: str
    draw: Callable[[Report], Chart | None]


def render(report: Report) -> str:
    """The whole report as one standalone HTML page."""
    title = "nndoctor report"
    script = _script(report)
    if script:
        title += f": {script}"
    return (
        "<!doctype html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{_e(title)}</title>\n</head>\n<body>\n{fragment(report)}\n</body>\n</html>\n"
    )


def fallback(report: Report, error: BaseException) -> str:
    """A plain page with the terminal report, for when `render` itself failed."""
    return (
        "<!doctype html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        "<title>nndoctor report</title>\n</head>\n<body>\n"
        f"<p>nndoctor could not build this page ({_e(type(error).__name__)}: {_e(error)}); "
        "the report as text:</p>\n"
        f"<pre>{_e(str(report))}</pre>\n</body>\n</html>\n"
    )


def fragment(report: Report) -> str:
    """The report as a block of HTML (its own scoped style), e.g. for a notebook cell."""
    problems = [f for f in report.findings if f.is_problem]
    causes = [f for f in problems if f.kind == "cause"]
    symptoms = [f for f in problems if f.kind == "symptom"]
    notes = [f for f in report.findings if not f.is_problem]
    rank = {id(f): n for n, f in enumerate(problems, 1)}
    # An `explains` link jumps to the first card of that id.
    anchored = {id(next(f for f in problems if f.id == i)) for i in {f.id for f in problems}}
    parts = [f"<style>{STYLE}</style>", "<div class='nndoctor-report'>", _header(report)]
    for heading, group in (("Causes", causes), ("Symptoms", symptoms)):
        if group:
            parts.append(f"<section class='findings'><h2>{heading}</h2>")
            parts += [_card(f, rank.get(id(f)), id(f) in anchored) for f in group]
            parts.append("</section>")
    parts.append(_checks(report))
    parts.append(_plots(report))
    if notes:
        parts.append("<section class='findings notes'><h2>Notes</h2>")
        parts += [_card(f, None, False) for f in notes]
        parts.append("</section>")
    parts.append(
        f"<footer>nndoctor {_e(__version__)} · all of it, with every number, is in "
        "report.json</footer></div>"
    )
    return "\n".join(p for p in parts if p)


# ---------------------------------------------------------------- text parts


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _script(report: Report) -> str | None:
    run = report.observations.run
    return run.script if run is not None else None


def _header(report: Report) -> str:
    problems = sum(f.is_problem for f in report.findings)
    status = (
        "<span class='status healthy'>healthy</span>"
        if report.healthy
        else f"<span class='status sick'>{problems} problem{'s' if problems != 1 else ''}</span>"
    )
    facts = [f"<span>{_e(report.framework)}</span>"]
    run = report.observations.run
    if run is not None:
        if run.script:
            facts.insert(0, f"<code>{_e(run.script)}</code>")
        if run.exit_code not in (None, 0):
            facts.append(f"<span>script exit code {_e(run.exit_code)}</span>")
        facts.append(f"<span>{run.seconds:.1f} s</span>")
        if run.stopped_early:
            facts.append("<span>stopped early by nndoctor</span>")
    steps = len(report.observations.trace)
    if steps:
        facts.append(f"<span>{steps} recorded step{'s' if steps != 1 else ''}</span>")
    return (
        "<header><div class='brand'><b>nndoctor</b> report " + status + "</div>"
        f"<p class='summary'>{_e(report.summary)}</p>"
        f"<div class='facts'>{' · '.join(facts)}</div></header>"
    )


def _card(f: Finding, rank: int | None, anchor_here: bool) -> str:
    anchor = f" id='finding-{_e(f.id)}'" if anchor_here else ""
    confidence = max(0.0, min(1.0, f.confidence))
    head = (
        f"<div class='card-head'>{f'<span class=rank>#{rank}</span>' if rank else ''}"
        f"<span class='badge {_e(f.severity)}'>{_e(f.severity)}</span>"
        f"<code class='fid'>{_e(f.id)}</code><span class='kind'>{_e(f.kind)}</span>"
        f"<span class='conf' title='confidence'>confidence {confidence:.0%}"
        f"<span class='meter'><span style='width:{confidence * 100:.0f}%'></span></span>"
        "</span></div>"
    )
    rows = [("where", _where(f))]
    rows += [(_e(key), _evidence(value)) for key, value in f.evidence.items()]
    if f.explains:
        links = ", ".join(f"<a href='#finding-{_e(s)}'>{_e(s)}</a>" for s in f.explains)
        rows.append(("explains", links))
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    details = "".join(f"<li>{_e(d)}</li>" for d in f.details)
    return (
        f"<article class='card {_e(f.severity)}'{anchor}>{head}"
        f"<h3>{_e(f.title)}</h3><table class='evidence'>{table}</table>"
        + (f"<ul class='details'>{details}</ul>" if details else "")
        + "<div class='fix'><div class='fix-label'>fix <span>(click to select)</span></div>"
        f"<pre><code>{_e(f.fix)}</code></pre></div>{_trial(f)}</article>"
    )


def _where(f: Finding) -> str:
    text = _e(f.where)
    if f.location is not None:
        text += f" <code class='loc'>{_e(f.location.file)}:{_e(f.location.line)}</code>"
    return text


def _evidence(value: Any) -> str:
    if isinstance(value, float):
        return _e(number(value))
    if isinstance(value, (dict, list, tuple)):
        return f"<code>{_e(json.dumps(_rounded(value), default=str))}</code>"
    return _e(value)


def _rounded(value: Any) -> Any:
    """Four significant digits, as the terminal shows them; report.json keeps them all."""
    if isinstance(value, float):
        return float(f"{value:.4g}") if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def _trial(f: Finding) -> str:
    if f.validated is None and f.kind != "cause":
        return ""  # a symptom's fix is its causes' fixes: nothing of its own to try
    if f.validated is None and f.trial is None:
        return "<div class='trial untried'>fix not tried on a copy</div>"
    if f.validated is None:
        verdict, kind = "fix tried on a copy, inconclusive", "untried"
    elif f.validated:
        verdict, kind = "fix verified on a copy", "ok"
    else:
        verdict, kind = "fix tried on a copy, did not help", "failed"
    numbers = ""
    if f.trial is not None:
        t = f.trial
        numbers = (
            f": {_e(t.metric)} {number(t.before)} → {number(t.after)} in {plural(t.steps, 'step')}"
        )
    return f"<div class='trial {kind}'>{verdict}{numbers}</div>"


def _checks(report: Report) -> str:
    if not report.experiments:
        return ""
    rows = []
    for experiment in report.experiments:
        verdict = check_verdict(experiment.passed)
        shown = {k: v for k, v in experiment.details.items() if v not in ([], {}, None)}
        details = "; ".join(f"{_e(k)}: {_evidence(v)}" for k, v in shown.items())
        rows.append(
            f"<tr><th>{_e(experiment.name)}</th>"
            f"<td><span class='verdict {verdict}'>{verdict}</span></td><td>{details}</td></tr>"
        )
    return f"<section class='checks'><h2>Checks</h2><table>{''.join(rows)}</table></section>"


# ---------------------------------------------------------------- plots


def _plots(report: Report) -> str:
    try:
        import matplotlib
    except ImportError:
        return (
            f"<section class='plots'><h2>Plots</h2><p class='note'>{_e(PLOTS_NOTE)}</p></section>"
        )
    figures = []
    with matplotlib.rc_context(RC):
        for spec in PLOTS:
            try:
                chart = spec.draw(report)
                svg = _svg(chart.figure, spec.key) if chart is not None else None
            except Exception as error:  # noqa: BLE001 - one failed plot must not lose the report
                figures.append(
                    f"<figure class='plot' data-plot='{spec.key}' data-failed='1'>"
                    f"<h3>{_e(spec.title)}</h3><p class='note'>this plot could not be drawn: "
                    f"{_e(type(error).__name__)}: {_e(error)}</p></figure>"
                )
                continue
            if svg is None or chart is None:
                continue
            figures.append(
                f"<figure class='plot' data-plot='{spec.key}'><h3>{_e(spec.title)}</h3>"
                f"{svg}<figcaption>{_e(chart.caption)}</figcaption></figure>"
            )
    if not figures:
        return ""
    return "<section class='plots'><h2>Plots</h2>" + "\n".join(figures) + "</section>"


RC: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays text: small, selectable, escaped by matplotlib
    "svg.hashsalt": "nndoctor",  # stable ids, so the same run gives the same file
    "text.parse_math": False,  # a '$' in a layer name is a character, not TeX
    "text.usetex": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e4e4e4",
    "grid.linewidth": 0.6,
    "axes.edgecolor": "#888888",
    "axes.titlesize": 9,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "path.simplify": True,
    "figure.dpi": 72,
    "savefig.dpi": 72,
}

# Anything that could run or load: matplotlib never writes it; if it ever did, the
# plot is dropped rather than shown.
_UNSAFE = re.compile(r"<\s*(script|foreignObject|iframe|a)\b|<[^>]*\son\w+\s*=", re.I)
_SAFE_HREF = ("#", "data:image/png;base64,")


def _svg(figure: Figure, key: str) -> str:
    buffer = io.StringIO()
    figure.savefig(
        buffer,
        format="svg",
        bbox_inches="tight",
        pad_inches=0.05,
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # Several figures share one page: keep only the ids that are referenced, and
    # make those unique per figure.
    referenced = set(re.findall(r'(?:url\(#|xlink:href="#)([^)"]+)', text))
    text = re.sub(
        r' id="([^"]*)"',
        lambda m: f' id="{key}-{m.group(1)}"' if m.group(1) in referenced else "",
        text,
    )
    text = re.sub(r'(url\(#|xlink:href="#)', rf"\g<1>{key}-", text)
    text = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r"<svg \1", text, count=1)
    hrefs = re.findall(r'href\s*=\s*"([^"]*)"', text)
    if _UNSAFE.search(text) or not all(h.startswith(_SAFE_HREF) for h in hrefs):
        raise ValueError("the drawn figure holds markup that is not plain SVG")
    return text


def _figure(height: float = 2.8, width: float = 9.0) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value: float, _position: Any = None) -> str:
    """Tick text for a log axis without TeX: 10⁻³ (matplotlib's default needs mathtext)."""
    if value <= 0 or not math.isfinite(value):
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-6:
        return f"{value:.2g}"
    return {0: "1", 1: "10"}.get(
        round(exponent), f"10{str(round(exponent)).translate(_SUPERSCRIPT)}"
    )


def _log_ticks(axis: Any, decades: float = 3.0) -> None:
    """Ticks of a log axis spanning about `decades` decades, labelled without mathtext."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    subs = (1.0,) if decades >= 2 else (1.0, 2.0, 5.0)  # a narrow range still gets labels
    axis.set_major_locator(LogLocator(base=10, subs=subs, numticks=9))
    axis.set_major_formatter(FuncFormatter(_power_of_ten))
    axis.set_minor_formatter(NullFormatter())


def _finite(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _buckets(n: int, max_buckets: int) -> np.ndarray:
    """Start index of each bucket: n items in at most max_buckets consecutive groups."""
    count = min(n, max_buckets)
    return np.unique(np.linspace(0, n, count + 1).astype(int)[:-1])


def _envelope(
    steps: np.ndarray, values: np.ndarray, max_points: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """At most max_points points that keep each bucket's minimum and maximum, in step order."""
    if len(steps) <= max_points:
        return steps, values
    starts = _buckets(len(steps), max_points // 2)
    ends = np.append(starts[1:], len(steps))
    xs: list[float] = []
    ys: list[float] = []
    for a, b in zip(starts, ends, strict=True):
        chunk = values[a:b]
        if np.all(np.isnan(chunk)):
            xs.append(steps[a])
            ys.append(np.nan)
            continue
        for k in sorted({int(np.nanargmin(chunk)), int(np.nanargmax(chunk))}):
            xs.append(steps[a + k])
            ys.append(chunk[k])
    return np.array(xs), np.array(ys)


def _positive_floor(values: np.ndarray) -> float:
    """Where zeros go on a log axis: a decade under the smallest positive value."""
    positive = values[np.isfinite(values) & (values > 0)]
    return float(positive.min()) / 10 if positive.size else 1e-12


def _onsets(report: Report) -> list[tuple[int, Finding]]:
    """Findings that carry the step where they began (evidence `onset_step`, `first_step`
    or `first_*_step`)."""
    out = []
    for f in report.findings:
        if not f.is_problem:
            continue
        for key, value in f.evidence.items():
            named = key in ("onset_step", "first_step") or (
                key.startswith("first_") and key.endswith("_step")
            )
            if named and isinstance(value, int) and not isinstance(value, bool):
                out.append((value, f))
                break
    return out


def _plot_loss(report: Report) -> Chart | None:
    trace = report.observations.trace
    if len(trace) < 2 or all(r.loss is None for r in trace):
        return None
    steps = np.array([r.step for r in trace], dtype=float)
    loss = _finite([r.loss for r in trace])
    loss[~np.isfinite(loss)] = np.nan
    fig = _figure()
    ax = fig.add_subplot()
    x, y = _envelope(steps, loss)
    ax.plot(x, y, color="#1f4e99", linewidth=1.1, label="loss")
    finite = loss[np.isfinite(loss)]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        ax.set_yscale("log")
        _log_ticks(ax.yaxis)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    bad = steps[np.array([r.nonfinite for r in trace])]
    if bad.size:
        ax.plot(
            bad[:MAX_POINTS],
            np.zeros(min(bad.size, MAX_POINTS)),
            "|",
            color=BAD,
            transform=ax.get_xaxis_transform(),
            markersize=8,
            label="NaN/Inf loss",
        )
    caption = "Training loss per recorded step"
    metrics = _finite([r.metric for r in trace])
    if np.isfinite(metrics).any():
        twin = ax.twinx()
        known = np.isfinite(metrics)  # e.g. Keras: one accuracy per epoch, gaps between
        mx, my = _envelope(steps[known], metrics[known])
        twin.plot(mx, my, color="#e07b00", linewidth=1.0, marker=".", label="metric")
        twin.set_ylabel("metric", color="#e07b00")
        twin.grid(False)
        twin.spines["right"].set_visible(True)
        caption += " (orange: the metric you recorded, right axis)"
    onsets = _onsets(report)
    for step, f in onsets:
        ax.axvline(step, color=SEVERITY_COLOR[f.severity], linestyle="--", linewidth=1)
        ax.annotate(
            f.id,
            (step, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -10),
            textcoords="offset points",
            color=SEVERITY_COLOR[f.severity],
            fontsize=8,
        )
    seen = {f.id for _, f in onsets}
    unmarked = [
        f.id for f in report.findings if f.is_problem and f.kind == "symptom" and f.id not in seen
    ]
    if onsets:
        caption += "; dashed lines: where each problem began"
    if unmarked:
        caption += f"; no onset step recorded for {', '.join(unmarked)}"
    if len(steps) > MAX_POINTS:
        caption += f"; {len(steps)} steps drawn as the min and max of each bucket"
    if len(ax.get_legend_handles_labels()[0]) > 1:
        ax.legend(loc="upper right")
    return Chart(fig, caption + ".")


def _plot_predictions(report: Report) -> Chart | None:
    records = [r for r in report.observations.trace if r.pred_counts and sum(r.pred_counts) > 0]
    if len(records) < 2:
        return None
    width = max(len(r.pred_counts or ()) for r in records)
    counts = np.zeros((len(records), width))
    for i, r in enumerate(records):
        counts[i, : len(r.pred_counts or ())] = r.pred_counts or ()
    shares = counts / counts.sum(axis=1, keepdims=True)
    order = np.argsort(-shares.sum(axis=0), kind="stable")
    shown = np.sort(order[:MAX_CLASSES])
    rows = [shares[:, c] for c in shown]
    labels = [f"class {c}" for c in shown]
    if width > MAX_CLASSES:
        rows.append(shares[:, np.sort(order[MAX_CLASSES:])].sum(axis=1))
        labels.append(f"{width - MAX_CLASSES} other classes")
    stacked = np.array(rows)
    steps = np.array([r.step for r in records], dtype=float)
    starts = _buckets(len(records), MAX_COLUMNS)
    sizes = np.diff(np.append(starts, len(records)))
    stacked = np.add.reduceat(stacked, starts, axis=1) / sizes
    fig = _figure(2.6)
    ax = fig.add_subplot()
    from matplotlib import colormaps

    palette = colormaps["tab10"].colors + colormaps["Pastel1"].colors
    colors = [palette[i % len(palette)] for i in range(len(rows) - (width > MAX_CLASSES))]
    if width > MAX_CLASSES:
        colors.append("#bdbdbd")
    ax.stackplot(steps[starts], stacked, labels=labels, colors=colors, linewidth=0)
    ax.set_ylim(0, 1)
    ax.set_xlim(steps[0], steps[-1])
    ax.set_ylabel("share of predictions")
    ax.set_xlabel("step")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    top = float(stacked[:, -1].max())
    caption = (
        "Which class the model predicts, as a share of each recorded batch: one colour "
        f"filling the plot is a collapse onto one class. At the last step the most "
        f"predicted class takes {top:.0%}."
    )
    return Chart(fig, caption)


def _named_matrix(records: Sequence[Any], field: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Per-name series from the StepRecords' NamedValue tuples: names, steps, values[name, step]."""
    names: list[str] = []
    for r in records:
        for item in getattr(r, field):
            if item.name not in names:
                names.append(item.name)
    index = {name: i for i, name in enumerate(names)}
    values = np.full((len(names), len(records)), np.nan)
    for j, r in enumerate(records):
        for item in getattr(r, field):
            values[index[item.name], j] = item.value
    steps = np.array([r.step for r in records], dtype=float)
    return names, steps, values


def _plot_grad_norms(report: Report) -> Chart | None:
    records = [r for r in report.observations.trace if r.grad_norms]
    if len(records) < 2:
        return None
    names, steps, values = _named_matrix(records, "grad_norms")
    values[~np.isfinite(values) | (values <= 0)] = np.nan
    if not np.isfinite(values).any():
        return None
    starts = _buckets(len(records), MAX_COLUMNS)
    # fmax ignores NaN: a bucket shows its largest norm, so a spike is never averaged away
    binned = np.fmax.reduceat(values, starts, axis=1)
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm

    cmap = colormaps["viridis"].with_extremes(bad="#d9d9d9")
    fig = _figure(max(1.6, 0.9 + 0.28 * len(names)))
    ax = fig.add_subplot()
    finite = binned[np.isfinite(binned)]
    vmin, vmax = float(finite.min()), float(finite.max())
    if vmax <= vmin:
        vmin, vmax = vmin / 2, vmax * 2
    image = ax.imshow(
        np.ma.masked_invalid(binned),
        aspect="auto",
        interpolation="none",
        cmap=cmap,
        norm=LogNorm(vmin=vmin, vmax=vmax),
        extent=(steps[0], steps[-1], len(names) - 0.5, -0.5),
    )
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("step")
    ax.grid(False)
    bar = fig.colorbar(image, ax=ax, label="gradient norm", pad=0.01)
    _log_ticks(bar.ax.yaxis, math.log10(vmax / vmin))
    return Chart(
        fig,
        "Gradient norm of each parameter over the steps, log colour scale (grey: zero or not "
        "recorded). A row fading towards the input is a vanishing gradient; a bright band, an "
        "explosion.",
    )


def _plot_unit_fractions(report: Report) -> Chart | None:
    panels = []
    for field, label in (
        ("dead_fractions", "dead units (0 for every sample)"),
        ("saturated_fractions", "saturated units (within 1% of a limit)"),
    ):
        # getattr: runs recorded before these statistics existed have no such field
        records = [r for r in report.observations.trace if getattr(r, field, ())]
        if len(records) >= 2:
            panels.append((field, label, records))
    if not panels:
        return None
    fig = _figure(2.6)
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    from matplotlib import colormaps
    from matplotlib.ticker import PercentFormatter

    palette = colormaps["tab10"].colors
    for ax, (field, label, records) in zip(axes, panels, strict=True):
        names, steps, values = _named_matrix(records, field)
        budget = max(200, MAX_POINTS * 2 // max(len(names), 1))
        for i, name in enumerate(names):
            x, y = _envelope(steps, values[i], budget)
            ax.plot(x, y, linewidth=1.1, color=palette[i % 10], label=name if i < 12 else None)
        ax.axhline(UNIT_SHARE_FLAGGED, color=BAD, linestyle=":", linewidth=0.8)
        ax.set_ylim(-0.02, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_title(label)
        ax.set_xlabel("step")
    axes[0].set_ylabel("share of the layer's units")
    axes[-1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    return Chart(
        fig,
        "Share of each layer's units that are dead or saturated on the sampled batches. "
        f"Above {UNIT_SHARE_FLAGGED:.0%} (dotted), a layer has lost most of its gradient.",
    )


def _ratio_band(ax: Any, horizontal: bool) -> None:
    span = ax.axhspan if horizontal else ax.axvspan
    line = ax.axhline if horizontal else ax.axvline
    span(lr_too_low.TOO_LOW, lr_too_high.TOO_HIGH, color=GOOD, alpha=0.07, linewidth=0)
    line(UPDATE_RATIO_TYPICAL, color=GOOD, linestyle="--", linewidth=1)
    marks = (
        (lr_too_low.TOO_LOW, "lr-too-low", BAD),
        (UPDATE_RATIO_TYPICAL, "typical", GOOD),
        (lr_too_high.TOO_HIGH, "lr-too-high", BAD),
    )
    for value, label, color in marks:
        if value != UPDATE_RATIO_TYPICAL:
            line(value, color=color, linestyle=":", linewidth=0.8)
        _mark(ax, value, label, color, horizontal)


def _mark(ax: Any, value: float, label: str, color: str, horizontal: bool) -> None:
    """A small label on a threshold line: inside the axes on the left, or above the axes."""
    if horizontal:
        ax.annotate(
            label,
            (0.005, value),
            xycoords=("axes fraction", "data"),
            xytext=(0, 2),
            textcoords="offset points",
            color=color,
            fontsize=7,
            va="bottom",
        )
    else:
        ax.annotate(
            label,
            (value, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 2),
            textcoords="offset points",
            color=color,
            fontsize=7,
            va="bottom",
            ha="center",
            annotation_clip=False,
        )


RATIO_CAPTION = (
    "Size of each update relative to the weights, log scale. About 1e-3 (dashed) is typical; "
    f"nndoctor flags a learning rate below {lr_too_low.TOO_LOW:g} or above "
    f"{lr_too_high.TOO_HIGH:g} (dotted, green band between)."
)


def _plot_update_ratios(report: Report) -> Chart | None:
    records = [r for r in report.observations.trace if r.update_ratios]
    if len(records) >= 2:
        return _ratio_lines(records)
    update = report.observations.update
    if update is not None and update.update_ratios:
        return _ratio_bars([(r.name, r.value) for r in update.update_ratios])
    return None


def _ratio_lines(records: Sequence[Any]) -> Chart:
    names, steps, values = _named_matrix(records, "update_ratios")
    floor = _positive_floor(values)
    zeros = bool(((values == 0) & np.isfinite(values)).any())
    values = np.where(values <= 0, floor, values)
    fig = _figure()
    ax = fig.add_subplot()
    ax.set_yscale("log")
    _log_ticks(ax.yaxis)
    _ratio_band(ax, horizontal=True)
    from matplotlib import colormaps

    palette = colormaps["tab10"].colors
    budget = max(200, MAX_POINTS * 2 // max(len(names), 1))
    for i, name in enumerate(names):
        x, y = _envelope(steps, values[i], budget)
        ax.plot(x, y, linewidth=1, color=palette[i % 10], label=name if i < 12 else None)
    ax.set_xlabel("step")
    ax.set_ylabel("update / weight")
    ax.set_ylim(min(floor / 3, lr_too_low.TOO_LOW / 3), max(np.nanmax(values) * 3, 0.1))
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    caption = RATIO_CAPTION
    if zeros:
        caption += f" A ratio of exactly 0 (the weights did not change) is drawn at {floor:.0e}."
    return Chart(fig, caption)


def _ratio_bars(pairs: Sequence[tuple[str, float]]) -> Chart:
    values = np.array([v for _, v in pairs], dtype=float)
    floor = _positive_floor(values)
    zeros = bool((values == 0).any())
    shown = np.where(values <= 0, floor, values)
    fig = _figure(max(1.5, 0.7 + 0.3 * len(pairs)))
    ax = fig.add_subplot()
    ax.set_xscale("log")
    _log_ticks(ax.xaxis)
    _ratio_band(ax, horizontal=False)
    colors = [GOOD if lr_too_low.TOO_LOW <= v <= lr_too_high.TOO_HIGH else BAD for v in values]
    positions = np.arange(len(pairs))
    # The axis always spans the flagged band, so its labels stay inside the plot.
    left = min(floor / 3, lr_too_low.TOO_LOW / 3)
    ax.barh(positions, shown - left, left=left, color=colors, height=0.6)
    ax.set_yticks(positions, [name for name, _ in pairs])
    ax.invert_yaxis()
    ax.set_xlim(left, max(float(shown.max()) * 3, 0.1))
    ax.set_xlabel("update / weight after one training step")
    for y, value in zip(positions, values, strict=True):
        ax.annotate(
            f"{value:.2g}",
            (max(value, floor), y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    caption = RATIO_CAPTION.replace("Size of each update", "Size of one checked update")
    if zeros:
        caption += " 0 means the step left that array unchanged."
    return Chart(fig, caption)


def _plot_gradcheck(report: Report) -> Chart | None:
    gradcheck = report.observations.gradcheck
    if gradcheck is None or not gradcheck.params:
        return None
    names = [p.name for p in gradcheck.params]
    values = np.array([p.rel_error for p in gradcheck.params], dtype=float)
    finite = values[np.isfinite(values)]
    floor = _positive_floor(values) if finite.size else 1e-12
    floor = min(floor, 1e-8)
    top = max(float(finite.max()) if finite.size else 1.0, 1.0) * 3
    shown = np.where(~np.isfinite(values), top, np.where(values <= 0, floor, values))
    colors = [
        BAD
        if not math.isfinite(v) or v > wrong_gradient.WRONG
        else MIDDLE
        if v > GRADCHECK_KINK
        else GOOD
        for v in values
    ]
    fig = _figure(max(1.5, 0.7 + 0.3 * len(names)))
    ax = fig.add_subplot()
    ax.set_xscale("log")
    _log_ticks(ax.xaxis)
    positions = np.arange(len(names))
    ax.barh(positions, shown - floor / 3, left=floor / 3, color=colors, height=0.6)
    ax.axvline(GRADCHECK_KINK, color=MIDDLE, linestyle="--", linewidth=1)
    ax.axvline(wrong_gradient.WRONG, color=BAD, linestyle="--", linewidth=1)
    _mark(ax, GRADCHECK_KINK, "right below", MIDDLE, horizontal=False)
    _mark(ax, wrong_gradient.WRONG, "wrong above", BAD, horizontal=False)
    ax.set_yticks(positions, names)
    ax.invert_yaxis()
    ax.set_xlim(floor / 3, top * 3)
    ax.set_xlabel("relative error: your gradient vs finite differences")
    for y, value, x in zip(positions, values, shown, strict=True):
        ax.annotate(
            "not finite" if not math.isfinite(value) else f"{value:.2g}",
            (x, y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    return Chart(
        fig,
        f"Gradient check per parameter array (batch of {gradcheck.batch_size}). Below "
        f"{GRADCHECK_KINK:g} (green) the gradient is right; above {wrong_gradient.WRONG:g} "
        "(red) the formula is wrong; between, look closer.",
    )


def _plot_trials(report: Report) -> Chart | None:
    rows: list[tuple[str, str, float, float, bool | None]] = []
    overfit = report.observations.overfit
    if overfit is not None:
        passed = next(
            (e.passed for e in report.experiments if e.name == "overfit-tiny-batch"),
            overfit.after < overfit.before,
        )
        rows.append(
            (
                f"tiny batch: {overfit.examples} example{'s' if overfit.examples != 1 else ''}, "
                f"{overfit.steps} steps",
                overfit.metric,
                overfit.before,
                overfit.after,
                passed,
            )
        )
    for f in report.findings:
        if f.trial is not None:
            rows.append(
                (
                    f"fix for {f.id}, {f.trial.steps} steps",
                    f.trial.metric,
                    f.trial.before,
                    f.trial.after,
                    f.validated,  # None: inconclusive, drawn grey
                )
            )
    rows = [r for r in rows if math.isfinite(r[2]) and math.isfinite(r[3])]
    if not rows:
        return None
    fig = _figure(max(1.2, 0.6 + 0.35 * len(rows)))
    ax = fig.add_subplot()
    values = np.array([[r[2], r[3]] for r in rows])
    if values.min() > 0 and values.max() / values.min() > 30:
        ax.set_xscale("log")
        _log_ticks(ax.xaxis)
    for y, (_, _, before, after, passed) in enumerate(rows):
        color = GOOD if passed else "#999999" if passed is None else BAD
        ax.annotate(
            "",
            (after, y),
            (before, y),
            arrowprops={"arrowstyle": "-|>", "color": color, "linewidth": 1.6},
        )
        ax.plot([before], [y], "o", color="#777777", markersize=5)
        ax.plot([after], [y], "o", color=color, markersize=6)
        ax.annotate(
            f"{before:.3g} → {after:.3g}",
            (max(before, after), y),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(range(len(rows)), [f"{r[0]} ({r[1]})" for r in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    low, high = float(values.min()), float(values.max())
    if ax.get_xscale() == "log":
        ax.set_xlim(low / 2, high * 4)
    elif low >= 0:
        ax.set_xlim(0, (high or 1.0) * 1.35)  # from zero, so a 2% change looks like 2%
    else:
        pad = (high - low) or 0.2 * abs(high) or 1.0
        ax.set_xlim(low - 0.1 * pad, high + 0.45 * pad)
    ax.set_xlabel("value before (grey) → after (green: it worked, red: it did not)")
    return Chart(
        fig,
        "Experiments run on a copy of your model: the same measure before and after. The "
        "tiny-batch trial should drive the loss far down; a fix trial shows the symptom going "
        "away.",
    )


PLOTS: tuple[PlotSpec, ...] = (
    PlotSpec("loss", "Loss per step", _plot_loss),
    PlotSpec("predictions", "Predicted classes over time", _plot_predictions),
    PlotSpec("grad-norms", "Gradient norm per parameter", _plot_grad_norms),
    PlotSpec("update-ratio", "Update / weight ratio per parameter", _plot_update_ratios),
    PlotSpec("units", "Dead and saturated units per layer", _plot_unit_fractions),
    PlotSpec("gradcheck", "Gradient check", _plot_gradcheck),
    PlotSpec("trials", "Experiments: before and after", _plot_trials),
)


STYLE = """
.nndoctor-report{--err:#c62828;--warn:#b26a00;--info:#0b6fa4;--ok:#2e7d32;--ink:#1d1d1f;
--muted:#5f6368;--line:#e3e3e3;--soft:#f6f7f9;max-width:980px;margin:0 auto;padding:24px 20px 40px;
color:var(--ink);background:#fff;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
.nndoctor-report *{box-sizing:border-box}
.nndoctor-report code,.nndoctor-report pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,
"DejaVu Sans Mono",monospace;font-size:13px}
.nndoctor-report header{border-bottom:1px solid var(--line);padding-bottom:14px;margin-bottom:8px}
.nndoctor-report .brand{font-size:14px;color:var(--muted);display:flex;gap:10px;align-items:center}
.nndoctor-report .brand b{color:var(--ink);font-size:16px}
.nndoctor-report .status{border-radius:10px;padding:1px 10px;font-size:12px;font-weight:600;
color:#fff}
.nndoctor-report .status.healthy{background:var(--ok)}
.nndoctor-report .status.sick{background:var(--err)}
.nndoctor-report .summary{font-size:21px;font-weight:600;line-height:1.35;margin:10px 0 6px}
.nndoctor-report .facts{color:var(--muted);font-size:13px;overflow-wrap:anywhere}
.nndoctor-report h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;
color:var(--muted);margin:26px 0 10px}
.nndoctor-report .card{border:1px solid var(--line);border-left:5px solid var(--info);
border-radius:8px;padding:12px 16px 14px;margin:0 0 14px;background:#fff;
box-shadow:0 1px 2px rgba(0,0,0,.04)}
.nndoctor-report .card.error{border-left-color:var(--err)}
.nndoctor-report .card.warning{border-left-color:var(--warn)}
.nndoctor-report .notes .card{background:var(--soft)}
.nndoctor-report .card-head{display:flex;flex-wrap:wrap;gap:8px;align-items:center;font-size:13px}
.nndoctor-report .rank{font-weight:700;color:var(--muted)}
.nndoctor-report .badge{text-transform:uppercase;font-size:11px;font-weight:700;color:#fff;
border-radius:4px;padding:1px 7px;background:var(--info)}
.nndoctor-report .badge.error{background:var(--err)}
.nndoctor-report .badge.warning{background:var(--warn)}
.nndoctor-report .fid{font-weight:600}
.nndoctor-report .kind{color:var(--muted)}
.nndoctor-report .conf{margin-left:auto;color:var(--muted);display:flex;gap:6px;align-items:center}
.nndoctor-report .meter{display:inline-block;width:64px;height:6px;background:var(--line);
border-radius:3px;overflow:hidden}
.nndoctor-report .meter span{display:block;height:100%;background:var(--ink)}
.nndoctor-report .card h3{font-size:17px;margin:6px 0 8px;line-height:1.35}
.nndoctor-report table{border-collapse:collapse;width:100%;font-size:13.5px}
.nndoctor-report .evidence th,.nndoctor-report .checks th{text-align:left;font-weight:500;
color:var(--muted);padding:2px 14px 2px 0;vertical-align:top;white-space:nowrap;width:1%}
.nndoctor-report .evidence td,.nndoctor-report .checks td{padding:2px 0;overflow-wrap:anywhere}
.nndoctor-report .checks td{padding-right:12px}
.nndoctor-report .checks tr{border-bottom:1px solid var(--line)}
.nndoctor-report .details{margin:6px 0;font-size:13.5px}
.nndoctor-report .fix{margin-top:10px}
.nndoctor-report .fix-label{font-size:12px;font-weight:600;text-transform:uppercase;
letter-spacing:.05em;color:var(--muted)}
.nndoctor-report .fix-label span{text-transform:none;font-weight:400;letter-spacing:0}
.nndoctor-report .fix pre{margin:4px 0 0;padding:10px 12px;background:var(--soft);
border:1px solid var(--line);border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere;
user-select:all;-webkit-user-select:all;cursor:text}
.nndoctor-report .trial{margin-top:8px;font-size:13px;font-weight:600}
.nndoctor-report .trial.ok{color:var(--ok)}
.nndoctor-report .trial.failed{color:var(--err)}
.nndoctor-report .trial.untried{color:var(--muted);font-weight:400}
.nndoctor-report .verdict{font-weight:600;white-space:nowrap}
.nndoctor-report .verdict.passed{color:var(--ok)}
.nndoctor-report .verdict.failed{color:var(--err)}
.nndoctor-report .verdict.inconclusive{color:var(--muted)}
.nndoctor-report .plot{margin:0 0 22px;padding:0}
.nndoctor-report .plot h3{font-size:15px;margin:0 0 4px}
.nndoctor-report .plot svg{display:block;width:100%;height:auto}
.nndoctor-report figcaption{color:var(--muted);font-size:13px;margin-top:2px}
.nndoctor-report .note{background:#fff8e1;border:1px solid #ffe08a;border-radius:6px;
padding:8px 12px}
.nndoctor-report footer{margin-top:30px;color:var(--muted);font-size:12px;
border-top:1px solid var(--line);padding-top:10px}
.nndoctor-report a{color:var(--info)}
"""
