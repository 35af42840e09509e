"""What the PyTorch probe keeps and reads (issue 14): a memory and time budget, and
scripts that train several models (a GAN) diagnosed one model at a time."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, problem_ids, run_script

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from nndoctor import session as _session  # noqa: E402
from nndoctor.diagnosis import diagnose  # noqa: E402
from nndoctor.observations import LayerInit, StepRecord, fold  # noqa: E402
from nndoctor.probes import torch as probe_module  # noqa: E402
from nndoctor.probes.torch import TorchProbe, distinct_rows  # noqa: E402

GAN = ROOT / "tests" / "scripts" / "torch_gan.py"
DROPOUT = ROOT / "tests" / "scripts" / "torch_dropout.py"
BIG_ROWS = 200_000  # a small version of issue 14's 1e6-row batch: still > CACHE_ROWS


def big_batch(rows: int = BIG_ROWS) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(rows, 64, generator=generator)
    # Sorted by class: a sample of the first rows would hold one class only.
    y = (torch.arange(rows) >= rows // 2).float().reshape(-1, 1)
    return x, y


def train_watched(model, batches, steps, experiments, lr=0.1):
    """Train under the global probe, as `nndoctor run` installs it; returns (probe, events)."""
    session = _session.Session("torch", experiments=experiments)
    probe = TorchProbe(session).install()
    try:
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        loss_fn = nn.BCEWithLogitsLoss()
        for i in range(steps):
            x, y = batches[i % len(batches)]
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
    finally:
        probe.remove()
    return probe, session.events


def test_no_batch_is_copied_when_no_experiment_will_run():
    torch.manual_seed(0)
    probe, events = train_watched(nn.Linear(64, 1), [big_batch()], 3, experiments=False)
    assert probe.batches == []
    assert probe.initial_state is None  # no copy of the weights either
    assert sum(isinstance(e, StepRecord) for e in events) == 3  # monitoring goes on


def test_a_full_batch_is_sampled_once_with_bounded_rows_on_the_cpu():
    torch.manual_seed(0)
    x, y = big_batch()
    probe, _ = train_watched(nn.Linear(64, 1), [(x, y)], 3, experiments=True)
    assert len(probe.batches) == 1  # the same batch at every step: kept once
    cached_x, cached_y = probe.batches[0]
    assert cached_x.device.type == "cpu" and cached_y.device.type == "cpu"
    assert cached_x.shape[0] <= probe_module.CACHE_ROWS
    assert cached_x.numel() * cached_x.element_size() <= probe_module.CACHE_BATCH_BYTES
    assert cached_x.data_ptr() != x.data_ptr()  # a copy, not a view of the user's tensor
    # Every k-th row: the sorted labels keep both classes, rows stay paired.
    assert set(cached_y.flatten().tolist()) == {0.0, 1.0}
    step = BIG_ROWS // cached_x.shape[0] + (BIG_ROWS % cached_x.shape[0] > 0)
    assert torch.equal(cached_x, x[::step]) and torch.equal(cached_y, y[::step])
    assert probe.initial_state is not None
    assert all(v.device.type == "cpu" for v in probe.initial_state.values())


def test_distinct_batches_are_cached_up_to_the_bound():
    torch.manual_seed(0)
    x, y = big_batch(4096)
    batches = [(x[i::16], y[i::16]) for i in range(16)]  # 16 distinct batches of 256 rows
    probe, _ = train_watched(nn.Linear(64, 1), batches, 16, experiments=True)
    assert len(probe.batches) == probe_module.CACHED_BATCHES
    assert all(b[0].shape[0] == 256 for b in probe.batches)  # small batches kept whole


def test_experiments_over_the_memory_budget_are_skipped_with_a_note(monkeypatch):
    monkeypatch.setattr(probe_module, "TRIAL_BYTES", 1024)  # smaller than 9 x this model
    torch.manual_seed(0)
    probe, events = train_watched(nn.Linear(64, 1), [big_batch(512)], 3, experiments=True)
    assert probe.batches == [] and probe.initial_state is None
    notes = [f for f in diagnose(fold(events, "torch")).findings if f.id == "experiments-skipped"]
    assert len(notes) == 1 and notes[0].severity == "info"
    assert "budget" in notes[0].title


def test_large_parameters_are_read_from_a_sample_that_estimates_their_norm():
    torch.manual_seed(0)
    layer = nn.Linear(512, 512)  # 262144 weights: over PARAM_WHOLE, so sampled
    assert layer.weight.numel() > probe_module.PARAM_WHOLE
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(64, 512, generator=generator)
    y = (torch.rand(64, 512, generator=generator) > 0.5).float()
    _, events = train_watched(layer, [(x, y)], 1, experiments=False)
    record = next(e for e in events if isinstance(e, StepRecord))
    grad = dict((g.name, g.value) for g in record.grad_norms)["weight"]
    true = float(torch.linalg.vector_norm(layer.weight.grad))
    assert abs(grad - true) / true < 0.05, (grad, true)
    ratio = dict((r.name, r.value) for r in record.update_ratios)["weight"]
    assert 0 < ratio < 1


def test_distinct_rows_agrees_with_torch_unique():
    generator = torch.Generator().manual_seed(0)
    rows = torch.randn(300, 40, generator=generator)
    rows[100:150] = rows[0]  # 50 copies of row 0
    rows[200:210, :] = 0.0  # 10 identical zero rows
    rows[250, 1:] = rows[251, 1:]  # rows that share most columns but differ
    for units in (rows, torch.zeros(64, 64), torch.randn(64, 64, generator=generator)):
        assert distinct_rows(units) == torch.unique(units, dim=0).shape[0]


def test_zero_initialised_layer_still_shows_identical_units():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))
    nn.init.zeros_(model[0].weight)
    _, events = train_watched(model, [big_batch(256)], 2, experiments=False)
    first = next(e for e in events if isinstance(e, LayerInit))
    assert first.identical_units == 32


def test_gan_is_diagnosed_as_one_model_with_a_note_and_no_false_alarm(tmp_path):
    result, report = run_script(GAN, tmp_path, "200")
    assert result.returncode == 0, result.stderr
    assert report["healthy"], problem_ids(report)
    assert problem_ids(report) == []
    note = next(f for f in report["findings"] if f["id"] == "several-models")
    assert note["severity"] == "info"
    assert "torch_gan.py:" in note["evidence"]["diagnosed"]
    assert len(note["evidence"]["not_diagnosed"]) == 1
    # The trace is the discriminator's alone: one record per step, never two.
    steps = [
        json.loads(line)
        for line in (tmp_path / "run" / "trace.jsonl").open()
        if '"StepRecord"' in line or '"LossRun"' in line
    ]
    recorded = sum(1 if s["event"] == "StepRecord" else len(s["losses"]) for s in steps)
    assert recorded == 200


def test_two_optimizers_of_one_model_are_one_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    session = _session.Session("torch", experiments=False)
    probe = TorchProbe(session).install()
    try:
        first = torch.optim.SGD(model[0].parameters(), lr=0.1)
        second = torch.optim.Adam(model[2].parameters(), lr=0.01)
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(64, 8, generator=generator)
        y = (x[:, 0] > 0).long()
        for _ in range(5):
            first.zero_grad()
            second.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            first.step()
            second.step()
    finally:
        probe.remove()
    assert probe.optimizers == [first, second] and not probe.others
    ids = [f.id for f in diagnose(fold(session.events, "torch")).findings]
    assert "several-models" not in ids
    assert sum(isinstance(e, StepRecord) for e in session.events) == 10


def test_a_single_model_script_has_no_several_models_note(tmp_path):
    result, report = run_script(
        DROPOUT, tmp_path, str(tmp_path / "w.npy"), options=["--no-experiments"]
    )
    assert result.returncode == 0, result.stderr
    ids = [f["id"] for f in report["findings"]]
    assert "several-models" not in ids and "experiments-skipped" not in ids
    assert report["healthy"], problem_ids(report)


def test_watch_of_one_model_leaves_the_other_models_optimizer_out():
    import nndoctor.torch as nnd_torch

    torch.manual_seed(0)
    generator = nn.Linear(2, 2)
    discriminator = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=1e-3)
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(16, 1), torch.zeros(16, 1)
    real = torch.randn(16, 2) + 3.0
    with nnd_torch.watch(discriminator) as doctor:
        for _ in range(5):  # the generator's optimizer steps first
            z = torch.randn(16, 2)
            opt_g.zero_grad()
            bce(discriminator(generator(z)), ones).backward()
            opt_g.step()
            opt_d.zero_grad()
            fake = generator(z).detach()
            (bce(discriminator(real), ones) + bce(discriminator(fake), zeros)).backward()
            opt_d.step()
    assert doctor.session.adapter.probe.optimizers == [opt_d]
    assert sum(isinstance(e, StepRecord) for e in doctor.session.events) == 5
    note = next(f for f in doctor.report(trials=False).findings if f.id == "several-models")
    assert note.severity == "info" and "Linear (6 parameters, Adam" in str(note.evidence)
