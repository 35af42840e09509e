"""Property-based tests: no trace line and no argument list makes nndoctor raise.

`nndoctor report` reads a run folder that a killed run, a hand edit or another
version may have left in any state (issue 14, item 8: a well-formed line of the
wrong types crashed it). Hypothesis generates the lines and argument lists.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import tempfile
import types
import typing
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import validate
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nndoctor import cli
from nndoctor.diagnosis import diagnose
from nndoctor.observations import EVENT_TYPES, MAX_INT, InternalError, fold, from_json, to_json
from nndoctor.report.html import render as render_html
from nndoctor.report.json_report import dumps
from nndoctor.report.terminal import render_text
from nndoctor.session import read_trace

# One line of each event kind, the longest of its kind, from four real runs:
# `nndoctor run --trial-seconds 2 tests/scripts/torch_dropout.py W.npy 1 softmax`,
# `nndoctor run --trial-seconds 2 tests/scripts/torch_regression.py misaligned`,
# `nndoctor run tests/scripts/stuck_handmade.py`, and a NumPy softmax regression
# checked by nnd.check with predict= whose Monitor.record got a non-number once.
REAL_LINES = (Path(__file__).parent / "data" / "trace_events.jsonl").read_text().splitlines()
REAL = {json.loads(line)["event"]: json.loads(line) for line in REAL_LINES}

# Reproducible in CI (derandomize) and well under a minute for the file.
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# The per-kind tests run once for each of the 19 event kinds.
PER_KIND = 60

# Values a hand edit or another writer could leave where the reader expects
# something else: the strings the writer uses for non-finite floats, a lone
# surrogate, ints past int64, and JSON's own NaN/Infinity (st.floats()).
ODD_SCALARS = st.sampled_from(
    ["nan", "inf", "-inf", "Infinity", "1.5", "", "\ud800", 2**63, 2**63 + 1, -(2**64), 10**400]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10) | ODD_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    # Module scope: Hypothesis runs many examples per test, and a function-scoped
    # tmp_path would be shared by all of them anyway.
    with tempfile.TemporaryDirectory(prefix="nndoctor-fuzz-") as name:
        yield Path(name)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside a parsed JSON event, nested objects and list items included."""
    out = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            if path or key != "event":
                out += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*path, i))
    return out


def _replaced(event: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    event = json.loads(json.dumps(event))
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return event


def _report_everything(events: list[Any]) -> Any:
    """The report path of `nndoctor report` after reading: fold, diagnose, json, terminal."""
    report = diagnose(fold(events))
    validate(json.loads(dumps(report)))
    assert render_text(report)
    return report


def _rule_failures(report: Any, events: list[Any]) -> list[Any]:
    """internal-error findings that no InternalError event of the trace stands for."""
    recorded = {e.where for e in events if isinstance(e, InternalError)}
    return [f for f in report.findings if f.id == "internal-error" and f.where not in recorded]


def test_real_events_cover_every_kind_and_read_back_unchanged() -> None:
    assert sorted(REAL) == sorted(EVENT_TYPES)
    for line in REAL.values():
        assert to_json(from_json(line)) == line


@pytest.mark.parametrize("kind", sorted(REAL))
@settings(FUZZ, max_examples=PER_KIND)
@given(data=st.data())
def test_one_field_of_a_real_event_replaced_by_any_json(kind: str, data: Any, folder: Path) -> None:
    event = REAL[kind]
    path = data.draw(st.sampled_from(_paths(event)), label="path")
    mutated = _replaced(event, path, data.draw(JSON_VALUES, label="value"))
    trace = folder / "trace.jsonl"
    lines = [json.dumps(mutated) if line is event else json.dumps(line) for line in REAL.values()]
    trace.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events, skipped = read_trace(trace)
    assert skipped in (0, 1) and len(events) + skipped == len(REAL)
    report = _report_everything(events)
    assert _rule_failures(report, events) == []


@pytest.mark.parametrize("kind", sorted(REAL))
@settings(FUZZ, max_examples=PER_KIND // 2)
@given(data=st.data())
def test_a_real_event_with_a_field_added_or_removed(kind: str, data: Any) -> None:
    event = dict(REAL[kind])
    fields = sorted(set(event) - {"event"})
    if data.draw(st.booleans(), label="add"):
        name = data.draw(st.text(max_size=8).filter(lambda n: n not in event), label="name")
        event[name] = data.draw(JSON_VALUES, label="value")
        with pytest.raises(ValueError, match="unknown field"):
            from_json(event)
        return
    removed = data.draw(st.sets(st.sampled_from(fields), min_size=1), label="removed")
    cls = EVENT_TYPES[kind]
    required = {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    for name in removed:
        del event[name]
    if removed & required:
        with pytest.raises(ValueError, match="missing field"):
            from_json(event)
    else:
        assert isinstance(from_json(event), cls)


@FUZZ
@given(
    lines=st.lists(
        st.text()
        | st.binary().map(lambda b: b.decode("utf-8", "replace"))
        | JSON_VALUES.map(json.dumps)
        | st.dictionaries(st.just("event") | st.text(max_size=6), JSON_VALUES).map(json.dumps)
        | st.sampled_from(["[" * 100_000, '{"event": "RunInfo"', '{"event": ["StepRecord"]}']),
        max_size=6,
    )
)
def test_any_line_is_read_or_skipped(lines: list[str], folder: Path) -> None:
    trace = folder / "any.jsonl"
    trace.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events, skipped = read_trace(trace)
    with trace.open(encoding="utf-8", errors="replace") as read:
        assert len(events) + skipped == sum(1 for line in read if line.strip())
    _report_everything(events)


def _values(hint: Any) -> st.SearchStrategy[Any]:
    """Every value of `hint` the trace reader accepts, odd ones (NaN, empty, negative) too."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*[_values(a) for a in args])
    if hint is type(None):
        return st.none()
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(-MAX_INT, MAX_INT) | st.sampled_from([0, -1, 1])
    if hint is float:
        return st.floats() | st.sampled_from([0.0, -0.0, math.inf, -math.inf, math.nan])
    if hint is str:
        return st.text(max_size=12)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return st.lists(_values(args[0]), max_size=5).map(tuple)
    if origin is tuple:
        return st.tuples(*[_values(a) for a in args])
    if dataclasses.is_dataclass(hint):
        return _events(hint)
    raise AssertionError(f"no strategy for {hint!r}: add one beside observations._typed")


def _events(cls: Any) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    return st.builds(cls, **{f.name: _values(hints[f.name]) for f in dataclasses.fields(cls)})


ANY_EVENT = st.one_of(*[_events(cls) for cls in EVENT_TYPES.values()])


@FUZZ
@given(event=ANY_EVENT)
def test_every_typed_event_reads_back_as_written(event: Any) -> None:
    line = json.dumps(to_json(event))
    assert json.dumps(to_json(from_json(json.loads(line)))) == line


@FUZZ
@given(events=st.lists(ANY_EVENT, max_size=12))
def test_any_sequence_of_typed_events_is_diagnosed_without_a_rule_failing(
    events: list[Any],
) -> None:
    report = _report_everything(events)
    assert _rule_failures(report, events) == []


@settings(FUZZ, max_examples=15)
@given(events=st.lists(ANY_EVENT, max_size=12))
def test_any_sequence_of_typed_events_renders_as_html(events: list[Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # matplotlib: glyphs of random layer names missing
        assert render_html(diagnose(fold(events))).startswith("<!doctype html>")


# CLI: an argument list either runs to a return code or argparse exits with 2
# (0 for --help, --version). Nothing here runs a training script.
ANY_ARG = st.text(max_size=10) | st.sampled_from(
    ["--json", "--html", "--quiet", "--out", "--", "-h", "--max-steps", "--max-seconds",
     "--trial-seconds", "--strict", "--no-experiments", "--until-diagnosed", "--max-steps=0",
     "nan", "-1", "1e309"]
)  # fmt: skip


def _main(argv: list[str]) -> int:
    out, err = io.StringIO(), io.StringIO()
    # In an empty folder: a generated `--json NAME` writes NAME relative to it.
    with (
        tempfile.TemporaryDirectory(prefix="nndoctor-cwd-") as cwd,
        contextlib.chdir(cwd),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = cli.main(argv)
        except SystemExit as exit_:
            assert exit_.code in (0, 2), (argv, exit_.code, err.getvalue())
            return int(exit_.code or 0)
    assert isinstance(code, int)
    assert "Traceback" not in err.getvalue()
    return code


@pytest.fixture(scope="module")
def run_folders(folder: Path) -> dict[str, Path]:
    """Run folders as `report` may find them; only the good one has plots to draw."""
    good = folder / "good"
    good.mkdir()
    (good / "trace.jsonl").write_text(
        "\n".join(line for line in REAL_LINES if '"StepRecord"' not in line) + "\n"
    )
    junk = folder / "junk"
    junk.mkdir()
    (junk / "trace.jsonl").write_text('{"event": "StepRecord", "step": "one"}\n[\n')
    empty = folder / "empty"
    empty.mkdir()
    (folder / "file").write_text("not a folder")
    return {"good": good, "junk": junk, "empty": empty, "file": folder / "file",
            "missing": folder / "missing"}  # fmt: skip


@FUZZ
@given(data=st.data())
def test_report_arguments_never_raise(data: Any, run_folders: dict[str, Path]) -> None:
    folder = data.draw(st.sampled_from(sorted(run_folders)), label="folder")
    argv = ["report", str(run_folders[folder])]
    for option in data.draw(st.lists(st.sampled_from(["--json", "--html", "--quiet"])), "opts"):
        argv.append(option)
        if option != "--quiet":
            name = data.draw(st.text("abc./", min_size=1, max_size=6), label="name")
            argv.append(str(run_folders["good"].parent / "out" / name))
    argv += data.draw(st.lists(ANY_ARG, max_size=2), label="extra")
    code = _main(argv)
    if folder != "good" and "-h" not in argv:
        assert code == 2  # with a message naming the folder; a good folder gives 0 or 2


@FUZZ
@given(argv=st.lists(ANY_ARG, max_size=5), command=st.sampled_from(["rules", "explain", ""]))
def test_rules_and_explain_arguments_never_raise(argv: list[str], command: str) -> None:
    assume(command or argv[:1] != ["run"])  # run has its own tests: no script may start
    _main([command, *argv] if command else argv)


@FUZZ
@given(before=st.lists(ANY_ARG, max_size=4), after=st.lists(ANY_ARG, max_size=4))
def test_run_of_a_missing_script_never_raises(
    before: list[str], after: list[str], folder: Path
) -> None:
    script = str(folder / "no-such-script.py")
    assume(not any(Path(a).is_file() for a in before))  # e.g. an absolute path to a real file
    ours, _ = cli._split_run_args([*before, script, *after])
    assert _main(["run", *before, script, *after]) == 2 or "-h" in ours


BAD_BUDGET = {
    "--max-steps": st.sampled_from(["0", "-3", "1.5", "x", "", "nan"]),
    "--max-seconds": st.sampled_from(["0", "-1", "-inf", "nan", "x", "", "1e309x"]),
    "--trial-seconds": st.sampled_from(["0", "-0.5", "-inf", "nan", "x", ""]),
}


@FUZZ
@given(data=st.data())
def test_run_with_a_bad_budget_never_starts_the_script(data: Any, folder: Path) -> None:
    script = Path(__file__).parent / "scripts" / "healthy.py"
    bad = data.draw(st.sets(st.sampled_from(sorted(BAD_BUDGET)), min_size=1), label="bad")
    options = []
    for name in sorted(bad):
        value = data.draw(BAD_BUDGET[name], label=name)
        options += [f"{name}={value}"] if data.draw(st.booleans()) else [name, value]
    flags = data.draw(st.lists(st.sampled_from(sorted(cli._FLAGS))))
    out = folder / "run-out"
    code = _main(["run", "--out", str(out), *flags, *options, str(script), "arg"])
    assert code == 2
    assert not out.exists()  # the script never ran: no run folder was made
