"""NumPy fix trials: the user's step, fixed, trained beside the step as written."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SEEDS, validate
from nets import MLP, digits

import nndoctor.numpy as nnd

X, IDS, Y = digits(600)
BATCH = slice(0, 32)
NET_SEEDS = [0, *SEEDS[1:]]  # MLP's own default seed, and the two others


def trial_of(report, cause: str) -> dict:
    finding = next(f for f in validate(report.to_json())["findings"] if f["id"] == cause)
    assert finding["trial"] is not None, finding
    return finding


@pytest.mark.parametrize("seed", NET_SEEDS)
def test_tiny_learning_rate_fix_is_validated_with_its_numbers(seed):
    finding = trial_of(MLP(lr=1e-7, seed=seed).check(X[BATCH], Y[BATCH]), "lr-too-low")
    assert finding["validated"] is True
    trial = finding["trial"]
    assert trial["metric"] == "loss" and trial["after"] <= 0.8 * trial["before"]


@pytest.mark.parametrize("seed", NET_SEEDS)
def test_update_that_never_runs_is_run_and_validated(seed):
    net = MLP(skip_update=("W1", "b1", "W2", "b2"), seed=seed)
    finding = trial_of(net.check(X[BATCH], Y[BATCH]), "params-not-updated")
    assert finding["validated"] is True


@pytest.mark.parametrize("seed", NET_SEEDS)
def test_wrong_relu_backward_is_replaced_by_finite_differences_and_validated(seed):
    net = MLP((64, 8, 10), relu_mask_on_gradient=True, seed=seed)
    finding = trial_of(net.check(X[BATCH], Y[BATCH]), "wrong-gradient")
    assert finding["validated"] is True


def test_unscaled_init_fix_is_tried():
    report = MLP(init_scale=8.0).check(X[BATCH], Y[BATCH])
    finding = trial_of(report, "bad-init")
    assert finding["trial"]["steps"] > 0


def test_healthy_net_gets_no_trial_and_stays_healthy():
    report = MLP().check(X[BATCH], Y[BATCH])
    assert report.healthy
    assert not report.observations.fix_trials


def test_trials_write_every_weight_back_and_leave_the_global_rng_alone():
    net = MLP(lr=1e-7)
    before = {k: v.copy() for k, v in net.params.items()}
    np.random.seed(7)
    state = np.random.get_state()[1].copy()
    report = net.check(X[BATCH], Y[BATCH])
    assert report.observations.fix_trials  # trials did run
    assert all(np.array_equal(before[k], v) for k, v in net.params.items())
    assert np.array_equal(np.random.get_state()[1], state)


def test_a_step_that_rejects_the_fix_gives_no_trial_and_no_error():
    """Class ids against 10 outputs: the one-hot fix needs a step that takes one-hot rows."""
    net = MLP()

    def step(x, y):
        if y.ndim != 1:
            raise ValueError("expected class ids")
        net.step(x, np.eye(10)[y] * 0 + y[:, None])  # ids broadcast over the outputs

    report = nnd.check(
        lambda: net.params,
        X[BATCH],
        IDS[BATCH],
        forward=net.forward,
        step=step,
        show=False,
    )
    assert "labels-not-encoded" in report.ids
    assert not any(t.cause == "labels-not-encoded" for t in report.observations.fix_trials)
    assert not any(f.id == "internal-error" for f in report.findings)


def test_no_trials_when_experiments_are_off(tmp_path):
    from nndoctor import session

    outer = session.Session("numpy", None, experiments=False)
    session.activate(outer)
    try:
        report = MLP(lr=1e-7).check(X[BATCH], Y[BATCH])
    finally:
        session.activate(None)
    assert not report.observations.fix_trials
