"""The HTML report: offline, inert, small, and showing each plot whose data exists.

The browser tests open real reports, made by `nndoctor run` on the bundled
seeds and on a hostile script, from file:// in headless Chromium.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from nndoctor.diagnosis import Report, diagnose
from nndoctor.observations import (
    GradCheck,
    GradEntry,
    InternalError,
    NamedValue,
    Observations,
    OverfitTrial,
    ParamGradCheck,
    RunInfo,
    StepRecord,
)
from nndoctor.report import html

sys.path.insert(0, str(Path(__file__).parent))
import browser  # noqa: E402

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"
HOSTILE_SCRIPT_NAME = "a<img src=x onerror=alert(1)>.py"
HOSTILE_PARAM = "<script>alert(1)</script>"
HOSTILE_LAYER = "<img src=x onerror=alert(2)>"
HOSTILE_ERROR = "<img src=y onerror=alert(3)> weights unreadable"
ALL_PLOTS = {spec.key for spec in html.PLOTS}

# A small softmax regression with hand-written gradients, its weights named with
# markup, a bias gradient 3x too large (so findings name them), and a params
# function that fails once with markup in its message (an internal error).
HOSTILE_SOURCE = f"""
import numpy as np
import nndoctor.numpy as nnd

W, B = {HOSTILE_PARAM!r}, {HOSTILE_LAYER!r}
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 4))
y = (x[:, 0] > 0).astype(int)
Y = np.eye(2)[y]
params = {{W: rng.normal(size=(4, 2)) / 2, B: np.zeros(2)}}


def forward(x):
    z = x @ params[W] + params[B]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def loss(out, Y):
    return float(-np.mean(np.sum(Y * np.log(out + 1e-12), axis=1)))


def gradients(x, Y):
    d = (forward(x) - Y) / len(x)
    return {{W: x.T @ d, B: 3 * d.sum(axis=0)}}


def step(x, Y):
    for name, g in gradients(x, Y).items():
        params[name] -= 0.5 * g


nnd.check(params, x[:16], Y[:16], forward=forward, loss=loss, gradients=gradients, step=step)
calls = 0


def live():
    global calls
    calls += 1
    if calls == 20:
        raise ValueError({HOSTILE_ERROR!r})
    return params


monitor = nnd.Monitor(params=live)
for i in range(60):
    out = forward(x)
    g = gradients(x, Y)
    step(x, Y)
    monitor.record(loss(out, Y), output=out, y=Y, metric=float((out.argmax(1) == y).mean()),
                   grads=g)
"""


# ---------------------------------------------------------------- without a browser


# Dead/saturated fractions arrive with the torch probe; older StepRecords lack them.
UNIT_FIELDS = {"dead_fractions", "saturated_fractions"} & {
    f.name for f in dataclasses.fields(StepRecord)
}
TRACE_PLOTS = ALL_PLOTS if UNIT_FIELDS else ALL_PLOTS - {"units"}


def _report(steps: int = 0, layers: int = 3, classes: int = 3, **fields) -> Report:
    names = [f"layer{i}" for i in range(layers)]

    def units(i: int) -> tuple[NamedValue, ...]:
        return tuple(NamedValue(n, min(1.0, k * i / 5000)) for k, n in enumerate(names))

    trace = tuple(
        StepRecord(
            step=i,
            loss=2.0 / (1 + i / 50),
            metric=min(1.0, i / max(steps, 1)),
            pred_counts=tuple(int(c == i % classes) * 32 for c in range(classes)),
            label_counts=None,
            grad_norms=tuple(
                NamedValue(n, 1e-3 * (k + 1) * (1 + i % 7)) for k, n in enumerate(names)
            ),
            update_ratios=tuple(NamedValue(n, 1e-3 / (k + 1)) for k, n in enumerate(names)),
            params_changed=True,
            nonfinite=False,
            **{field: units(i) for field in UNIT_FIELDS},
        )
        for i in range(steps)
    )
    return diagnose(Observations(trace=trace, **fields))


def _gradcheck(*names: str) -> GradCheck:
    params = tuple(
        ParamGradCheck(n, 0.5 if i == 0 else 1e-9, 12, 0.0, (GradEntry((0, 1), 0.1, 0.2),))
        for i, n in enumerate(names)
    )
    return GradCheck(params, None, 8, (), (), ())


def _plots_in(page: str) -> set[str]:
    return set(re.findall(r"data-plot='([^']+)'", page))


def test_every_user_string_is_escaped():
    report = _report(
        steps=30,
        run=RunInfo("numpy", HOSTILE_SCRIPT_NAME, 1, 1.0, False),
        gradcheck=_gradcheck(HOSTILE_PARAM, HOSTILE_LAYER),
        errors=(InternalError(HOSTILE_LAYER, HOSTILE_ERROR),),
    )
    page = html.render(report)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert not re.search(r"<[^>]*\son\w+\s*=", page), "an event handler attribute in a tag"
    assert html.html.escape(HOSTILE_SCRIPT_NAME) in page
    assert html.html.escape(HOSTILE_ERROR) in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # in the findings and the SVG ticks
    assert 'http-equiv="Content-Security-Policy"' in page


def test_a_10k_step_run_stays_under_2_mb_with_every_trace_plot():
    report = _report(
        steps=10_000,
        layers=12,
        classes=10,
        gradcheck=_gradcheck("W1", "b1"),
        overfit=OverfitTrial(16, 200, 0.1, "loss", 2.3, 0.01),
    )
    page = html.render(report)
    assert len(page.encode()) < 2_000_000
    assert _plots_in(page) == TRACE_PLOTS
    assert "mathdefault" not in page  # every log tick is plain text, not unrendered TeX


def test_a_plot_appears_only_when_its_data_exists():
    assert _plots_in(html.render(_report(gradcheck=_gradcheck("W")))) == {"gradcheck"}
    assert _plots_in(html.render(_report())) == set()


def test_without_matplotlib_the_report_keeps_its_text_and_says_how_to_get_plots(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    report = _report(steps=30, gradcheck=_gradcheck("W1"))
    page = html.render(report)
    assert html.PLOTS_NOTE in page
    assert "<svg" not in page
    assert html.html.escape(report.summary) in page
    assert "wrong-gradient" in page


def test_a_plot_that_fails_to_draw_leaves_the_rest_of_the_report(monkeypatch):
    def broken(report):
        raise RuntimeError("<b>boom</b>")

    monkeypatch.setattr(html, "PLOTS", (html.PlotSpec("broken", "Broken", broken), *html.PLOTS))
    page = html.render(_report(steps=30))
    assert "could not be drawn: RuntimeError: &lt;b&gt;boom&lt;/b&gt;" in page
    assert "loss" in _plots_in(page)


def test_a_page_that_fails_to_build_still_holds_the_report_as_text(monkeypatch):
    from nndoctor import cli

    def broken(report):
        raise RuntimeError("<i>bad</i>")

    monkeypatch.setattr(html, "fragment", broken)
    report = _report(steps=30, run=RunInfo("numpy", HOSTILE_SCRIPT_NAME, 0, 1.0, False))
    page = cli._html(report)
    assert "RuntimeError: &lt;i&gt;bad&lt;/i&gt;" in page
    assert html.html.escape(report.summary) in page
    assert "<img" not in page


def test_notebook_display_is_the_same_report_without_the_page_around_it():
    report = _report(steps=30, gradcheck=_gradcheck("W1"))
    inline = report._repr_html_()
    assert inline == html.fragment(report)
    assert inline in html.render(report)
    assert "<html" not in inline and "<svg" in inline


def test_the_same_run_gives_the_same_file():
    report = _report(steps=300, gradcheck=_gradcheck("W1"))
    assert html.render(report) == html.render(report)


# ---------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def chromium():
    reason = browser.unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    with browser.browser() as instance:
        yield instance


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """Real reports, made by `nndoctor run` the way a user runs it, in parallel."""
    root = tmp_path_factory.mktemp("html")
    hostile = root / "hostile" / HOSTILE_SCRIPT_NAME
    hostile.parent.mkdir()
    hostile.write_text(HOSTILE_SOURCE)
    scripts = {
        "seed_002": SEEDS / "seed_002.py",
        "seed_001": SEEDS / "seed_001.py",
        "hostile": hostile,
    }
    runs = {}
    for name, script in scripts.items():
        html_path = root / f"{name}.html"
        process = browser.make_report(script, root / name, "--html", str(html_path))
        runs[name] = (process, root / name / "report.html", html_path)
    out = {}
    for name, (process, in_run_folder, html_path) in runs.items():
        output, _ = process.communicate(timeout=300)
        assert in_run_folder.is_file(), f"{name}: no report.html in the run folder\n{output}"
        assert html_path.read_text() == in_run_folder.read_text()
        out[name] = in_run_folder
    return out


def _assert_inert_and_offline(seen: browser.Visit) -> None:
    assert seen.dialogs == []
    assert seen.console_errors == []
    assert seen.page_errors == []
    assert len(seen.requests) == 1 and seen.requests[0].startswith("file://"), seen.requests
    page = seen.page
    assert page.locator("script").count() == 0
    assert page.locator("img, iframe, object, embed, link").count() == 0
    assert page.evaluate("document.querySelectorAll('*[onerror], *[onload]').length") == 0


def _assert_plots_drawn(seen: browser.Visit, keys: set[str]) -> None:
    shown = set(
        seen.page.eval_on_selector_all("figure[data-plot]", "fs => fs.map(f => f.dataset.plot)")
    )
    assert keys <= shown, f"missing plots: {keys - shown}"
    for key in keys:
        figure = seen.page.locator(f"figure[data-plot='{key}']")
        box = figure.locator("svg").bounding_box()
        assert box and box["width"] > 300 and box["height"] > 60, (key, box)
        drawn = figure.evaluate(
            "f => [...f.querySelectorAll('svg path')].filter(p => (p.getAttribute('d') || '')"
            ".length > 20).length"
        )
        assert drawn >= 3, f"plot {key} has {drawn} drawn paths"


def _assert_not_blank(png: bytes) -> None:
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    inked = float((pixels.min(axis=2) < 200).mean())
    colours = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert inked > 0.02, f"only {inked:.1%} of the screenshot is not near-white"
    assert colours > 50, f"the screenshot has only {colours} colours"


def test_seed_002_report_shows_the_diagnosis_and_its_plots(chromium, reports, tmp_path):
    with browser.visit(chromium, reports["seed_002"]) as seen:
        _assert_inert_and_offline(seen)
        text = seen.page.inner_text("body")
        assert "Most likely cause" in text
        assert "params-not-updated" in text and "wrong-gradient" in text
        assert seen.page.locator("article.card.error").count() >= 2
        _assert_plots_drawn(seen, {"loss", "predictions", "update-ratio", "gradcheck", "trials"})
        _assert_not_blank(seen.page.screenshot(full_page=True, path=str(tmp_path / "002.png")))


def test_seed_001_report_shows_gradient_check_and_update_ratio(chromium, reports):
    with browser.visit(chromium, reports["seed_001"]) as seen:
        _assert_inert_and_offline(seen)
        assert "eval-bug" in seen.page.inner_text("body")
        _assert_plots_drawn(seen, {"update-ratio", "gradcheck", "trials"})
        assert seen.page.locator("figure[data-plot='loss']").count() == 0  # no trace recorded


def test_hostile_names_show_as_text_and_nothing_runs(chromium, reports, tmp_path):
    with browser.visit(chromium, reports["hostile"]) as seen:
        _assert_inert_and_offline(seen)
        text = seen.page.inner_text("body")
        for hostile in (HOSTILE_SCRIPT_NAME, HOSTILE_PARAM, HOSTILE_LAYER, HOSTILE_ERROR):
            assert hostile in text, hostile
        assert HOSTILE_SCRIPT_NAME in seen.page.title()
        _assert_plots_drawn(
            seen, {"loss", "predictions", "grad-norms", "update-ratio", "gradcheck"}
        )
        ticks = seen.page.locator("figure[data-plot='grad-norms'] svg text").all_text_contents()
        assert HOSTILE_PARAM in ticks and HOSTILE_LAYER in ticks
        _assert_not_blank(seen.page.screenshot(full_page=True, path=str(tmp_path / "hostile.png")))


def test_report_copied_elsewhere_still_opens_offline(chromium, reports, tmp_path):
    copy = tmp_path / "moved" / "report.html"
    copy.parent.mkdir()
    shutil.copy(reports["seed_001"], copy)
    with browser.visit(chromium, copy) as seen:
        _assert_inert_and_offline(seen)
        _assert_plots_drawn(seen, {"gradcheck"})
