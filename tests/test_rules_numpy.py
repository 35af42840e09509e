"""Every rule on real NumPy runs: a run with the fault finds it, a healthy run stays silent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import problem_ids, run_script, validate
from nets import MLP, digits

import nndoctor.numpy as nnd
from nndoctor import UsageError

X, IDS, Y = digits(600)
BATCH = slice(0, 32)


def problems(report) -> list[str]:
    validate(report.to_json())
    return report.ids


def monitored(net: MLP, epochs: int, y=Y, x=X, batch: int = 32):
    monitor = nnd.Monitor(params=lambda: net.params)
    net.train(x, y, epochs, batch=batch, monitor=monitor)
    return monitor.report(show=False)


# -- the healthy controls: every rule stays silent ----------------------------------------


def test_healthy_net_passes_every_check():
    report = MLP().check(X[BATCH], Y[BATCH])
    assert problems(report) == []
    assert {e.name for e in report.experiments} == {
        "gradient-check",
        "gradient-leaves-weights",
        "update-check",
        "input-dependence",
        "overfit-tiny-batch",
    }
    assert all(e.passed for e in report.experiments)


def test_slow_but_steady_run_is_healthy():
    net = MLP(lr=0.02)
    assert problems(net.check(X[BATCH], Y[BATCH])) == []
    report = monitored(net, epochs=4)
    assert problems(report) == []
    losses = report.series["loss"]
    assert losses[-1] < 0.9 * losses[0]  # it does learn, slowly


def test_imbalanced_but_learned_run_is_healthy_with_a_note():
    keep = np.r_[np.flatnonzero(IDS == 0), np.flatnonzero(IDS == 1)[:6]]
    x, y2 = X[keep], np.eye(2)[(IDS[keep] == 1).astype(int)]
    net = MLP((64, 16, 2), lr=0.5)
    report = monitored(net, epochs=30, y=y2, x=x, batch=len(x))
    assert problems(report) == []
    assert "class-imbalance" in [f.id for f in report.findings]  # info only


def test_saturated_but_correct_sigmoid_net_is_healthy():
    two = IDS < 2
    x, y = X[two], (IDS[two] == 1).astype(float).reshape(-1, 1)
    net = MLP((64, 16, 1), output="sigmoid", lr=2.0)
    net.train(x, y, epochs=60, batch=len(x))
    out = net.forward(x)
    assert np.mean((out < 1e-3) | (out > 1 - 1e-3)) > 0.5  # most outputs are saturated
    report = net.check(x[:32], y[:32])
    assert problems(report) == [], report.findings


def test_run_that_plateaus_briefly_then_learns_is_healthy():
    monitor = nnd.Monitor()
    for i in range(300):
        loss = 2.3 if i < 60 else 2.3 * np.exp(-(i - 60) / 60) + 0.05
        monitor.record(loss + 0.01 * np.sin(i))
    assert problems(monitor.report(show=False)) == []


# -- wrong-gradient ------------------------------------------------------------------------


def test_wrong_relu_backward_found_and_located_below_the_last_layer():
    report = MLP(relu_mask_on_gradient=True).check(X[BATCH], Y[BATCH])
    finding = next(f for f in report.findings if f.id == "wrong-gradient")
    assert finding.severity == "error"
    assert "W1" in finding.title and "W2" not in finding.title.split("for")[-1]
    assert "ReLU" in finding.fix


def test_constant_factor_in_gradient_found():
    report = MLP(grad_factor=0.5).check(X[BATCH], Y[BATCH])
    assert "wrong-gradient" in problems(report)
    assert "0.5x" in next(f.title for f in report.findings if f.id == "wrong-gradient")


def test_batch_sum_instead_of_mean_is_not_blamed():
    report = MLP(grad_factor=32, lr=0.5 / 32).check(X[BATCH], Y[BATCH])
    assert "wrong-gradient" not in problems(report)


def test_gradient_code_that_writes_into_weights_found():
    report = MLP(zero_first_row_in_gradients=True).check(X[BATCH], Y[BATCH])
    finding = next(f for f in report.findings if f.id == "wrong-gradient")
    assert finding.evidence["mutated_by_gradient_call"] == ["W1"]


# -- params-not-updated --------------------------------------------------------------------


def test_update_that_changes_nothing_found_with_key_evidence():
    net = MLP(skip_update=("W1", "b1", "W2", "b2"))

    def dgrads(x, y):
        return {"d" + k: v for k, v in net.gradients(x, y).items()}

    report = nnd.check(
        lambda: net.params,
        X[BATCH],
        Y[BATCH],
        forward=net.forward,
        loss=net.loss,
        gradients=dgrads,
        step=net.step,
        show=False,
    )
    assert problems(report)[0] == "params-not-updated"
    finding = report.findings[0]
    assert finding.evidence["gradient_keys_differ"] == {
        "W1": "dW1",
        "b1": "db1",
        "W2": "dW2",
        "b2": "db2",
    }


def test_one_layer_left_out_of_the_update_found():
    report = MLP(skip_update=("W1",)).check(X[BATCH], Y[BATCH])
    finding = next(f for f in report.findings if f.id == "params-not-updated")
    assert finding.evidence["unchanged"] == ["W1"]


def test_weights_frozen_over_monitored_steps_found():
    net = MLP(skip_update=("W1", "b1", "W2", "b2"))
    report = monitored(net, epochs=2)
    assert "params-not-updated" in problems(report)
    assert "loss-plateau" in problems(report)


# -- bad-init ------------------------------------------------------------------------------


def test_unscaled_randn_init_found():
    report = MLP(init_scale=2.0).check(X[BATCH], Y[BATCH])  # 16x 1/sqrt(64)
    finding = next(f for f in report.findings if f.id == "bad-init")
    assert finding.evidence["W1.expected_std"] == pytest.approx(1 / 8, rel=1e-3)


def test_identical_hidden_units_found():
    net = MLP(init_scale=0.0)
    report = net.check(X[BATCH], Y[BATCH])
    assert any(f.id == "bad-init" and "identical" in f.title for f in report.findings)


def test_zero_initialised_logistic_regression_is_healthy():
    net = MLP((64, 10), init_scale=0.0)
    assert problems(net.check(X[BATCH], Y[BATCH])) == []


# -- learning rate -------------------------------------------------------------------------


def test_tiny_learning_rate_found():
    report = MLP(lr=1e-7).check(X[BATCH], Y[BATCH])
    assert problems(report)[0] == "lr-too-low"


def _dollar_regression(alpha: float, steps: int = 300, w0: float = 0.0):
    """Gradient descent on a linear model, z-scored features, targets in dollars (about
    180,000 each): the cost is huge, and at a working rate it falls to the noise."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1200, 30))
    y = 180_000 + x @ rng.normal(0, 20_000, 30) + rng.normal(0, 10_000, 1200)
    w, b = rng.normal(0, w0, 30), np.zeros(1)
    monitor = nnd.Monitor(params={"w": w})  # a bias from 0 moves by all of itself at first
    for _ in range(steps):
        pred = x @ w + b
        err = pred - y
        w[:] -= alpha * x.T @ err / len(y)
        b[:] -= alpha * err.mean()
        monitor.record(float(np.mean(err**2) / 2), output=pred, y=y)
    return monitor.report(show=False)


def test_converged_regression_in_dollars_is_not_a_low_rate_or_a_class_collapse():
    # Its late updates move weights of 1e4 by cents (ratio ~1e-7) because the loss
    # converged, and a price above 0.5 is no "class 1".
    assert problems(_dollar_regression(alpha=0.1)) == []


def test_regression_that_barely_moves_is_still_a_low_rate():
    # Weights of order 1 moved by ~2e-6 of their size per step (a zero start would
    # make every ratio large: a step is then the whole weight).
    assert problems(_dollar_regression(alpha=1e-10, steps=100, w0=1.0))[0] == "lr-too-low"


def test_huge_learning_rate_found_in_monitored_run():
    net = MLP(lr=50.0)
    report = monitored(net, epochs=2)
    assert "lr-too-high" in problems(report)


# -- eval-bug and predictions-ignore-input -------------------------------------------------


def test_prediction_from_stale_activations_found():
    report = MLP(stale_predict=True).check(X[BATCH], Y[BATCH])
    ids = problems(report)
    assert ids[0] == "eval-bug"
    assert "predictions-ignore-input" in ids
    assert "predictions-ignore-input" in report.findings[0].explains


def test_untrained_net_predicting_one_class_is_not_an_eval_bug():
    net = MLP()
    net.params["W2"][:] = 0
    net.params["b2"][:] = np.arange(10)  # every input gets class 9, rightly
    report = nnd.check(
        lambda: net.params, X[BATCH], Y[BATCH], forward=net.forward, predict=net.predict, show=False
    )
    assert "eval-bug" not in problems(report)


# -- labels-not-encoded --------------------------------------------------------------------


def test_class_ids_broadcast_against_k_outputs_found():
    two = IDS < 2
    net = MLP((64, 16, 2), output="sigmoid", labels="ids-broadcast", lr=1.0)
    report = net.check(X[two][:32], IDS[two][:32].astype(float))
    assert problems(report)[0] == "labels-not-encoded"


def test_class_ids_indexed_by_the_code_are_not_blamed():
    net = MLP(labels="ids-indexed")
    report = net.check(X[BATCH], IDS[BATCH])
    assert "labels-not-encoded" not in problems(report)


def test_one_hot_width_differs_from_output_found():
    net = MLP((64, 16, 8))
    report = nnd.check(lambda: net.params, X[BATCH], Y[BATCH], forward=net.forward, show=False)
    assert problems(report) == ["labels-not-encoded"]


def test_one_based_labels_found():
    net = MLP(labels="ids-indexed")
    report = nnd.check(
        lambda: net.params, X[:200], IDS[:200] % 10 + 1, forward=net.forward, show=False
    )
    finding = next(f for f in report.findings if f.id == "labels-not-encoded")
    assert "1 to 10" in finding.title


# -- data ----------------------------------------------------------------------------------


def test_raw_pixels_found():
    x, _, y = digits(200, scale=255 / 16)
    report = nnd.check(lambda: MLP().params, x, y, show=False)
    assert problems(report) == ["inputs-not-normalized"]
    assert "/ 255" in report.findings[0].fix


def test_raw_digits_0_to_16_are_not_blamed():
    x, _, y = digits(200, scale=1.0)
    assert problems(nnd.check(lambda: MLP().params, x, y, show=False)) == []


def test_nan_in_inputs_found_without_raising():
    x = X[:64].copy()
    x[3, 5] = np.nan
    report = nnd.check(lambda: MLP().params, x, Y[:64], show=False)
    assert "bad-data-values" in problems(report)


def test_majority_class_collapse_found():
    y = np.eye(2)[(np.arange(300) < 15).astype(int)]  # class 0: 95%
    monitor = nnd.Monitor()
    for _i in range(20):
        monitor.record(0.2, output=np.tile([0.9, 0.1], (300, 1)), y=y)
    report = monitor.report(show=False)
    assert "class-imbalance" in problems(report)


# -- trace symptoms ------------------------------------------------------------------------


def test_prediction_collapse_found():
    monitor = nnd.Monitor()
    for _i in range(30):
        monitor.record(2.3, output=np.tile(np.eye(10)[3], (64, 1)), y=Y[:64])
    ids = problems(monitor.report(show=False))
    assert "prediction-collapse" in ids and "loss-plateau" in ids


def test_noisy_loss_with_no_trend_is_a_plateau():
    rng = np.random.default_rng(0)
    monitor = nnd.Monitor()
    for _ in range(200):
        monitor.record(0.7 + 0.1 * rng.standard_normal())
    assert problems(monitor.report(show=False)) == ["loss-plateau"]


def test_accuracy_stuck_found_and_improving_accuracy_is_not():
    stuck, learning = nnd.Monitor(), nnd.Monitor()
    for i in range(60):
        stuck.record(2.0 * 0.97**i, metric=0.3066)
        learning.record(2.0 * 0.97**i, metric=min(0.98, 0.1 + 0.03 * i))
    assert problems(stuck.report(show=False)) == ["accuracy-stuck"]
    assert problems(learning.report(show=False)) == []


def test_nan_loss_found():
    monitor = nnd.Monitor()
    for i in range(10):
        monitor.record(float("nan") if i > 6 else 1.0 / (i + 1))
    report = monitor.report(show=False)
    assert "nan-loss" in problems(report)
    validate(report.to_json())  # NaN is written as a string, the JSON stays valid


def test_few_updates_while_loss_falls_found_and_converged_run_is_not():
    few, converged = nnd.Monitor(), nnd.Monitor()
    for i in range(10):
        few.record(1.0 - 0.05 * i)
    for i in range(400):
        converged.record(0.05 + np.exp(-i / 30))
    assert problems(few.report(show=False)) == ["too-few-updates"]
    assert problems(converged.report(show=False)) == []


# -- nndoctor itself -----------------------------------------------------------------------


def test_monitor_never_raises_into_the_training_loop():
    monitor = nnd.Monitor()
    monitor.record(1.0, output=object())  # not an array: recorded as internal-error
    monitor.record(0.9)
    report = monitor.report(show=False)
    assert any(f.id == "internal-error" and f.severity == "info" for f in report.findings)
    assert report.series["loss"] == [0.9]


def test_check_leaves_weights_and_global_rng_untouched():
    net = MLP(relu_mask_on_gradient=True, init_scale=1.0)
    before = {k: v.copy() for k, v in net.params.items()}
    state = np.random.get_state()
    net.check(X[BATCH], Y[BATCH])
    assert all(np.array_equal(before[k], v) for k, v in net.params.items())
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"params": {"W": np.zeros((2, 2))}, "x": np.zeros((5, 3)), "y": np.zeros(4)},
            "no axis of x matches",
        ),
        (
            {"params": {"W": np.zeros((2, 2))}, "x": np.array(["a", "b"]), "y": np.zeros(2)},
            "numeric array",
        ),
        ({"params": {"W": "weights"}, "x": np.zeros((2, 3)), "y": np.zeros(2)}, "no NumPy arrays"),
        (
            {"params": {"W": np.zeros((2, 2), dtype=int)}, "x": np.zeros((2, 3)), "y": np.zeros(2)},
            "floating-point",
        ),
        (
            {
                "params": {"W": np.zeros((3, 2))},
                "x": np.zeros((2, 3)),
                "y": np.zeros(2),
                "forward": 3,
            },
            "must be a function",
        ),
        (
            {
                "params": {"W": np.zeros((3, 2))},
                "x": np.zeros((2, 3)),
                "y": np.zeros(2),
                "forward": lambda x: 1 / 0,
            },
            "your forward function raised ZeroDivisionError",
        ),
        (
            {
                "params": {"W": np.zeros((3, 2))},
                "x": np.zeros((2, 3)),
                "y": np.zeros(2),
                "forward": lambda x: (x, x),
            },
            "returned a tuple",
        ),
    ],
)
def test_bad_input_raises_usage_error_naming_the_fix(kwargs, message):
    params = kwargs.pop("params")
    x, y = kwargs.pop("x"), kwargs.pop("y")
    with pytest.raises(UsageError, match=message):
        nnd.check(params, x, y, show=False, **kwargs)


# -- unstable-loss: log(0) in a hand-written loss ------------------------------------------


LOGISTIC = Path(__file__).parent / "scripts" / "numpy_logistic.py"


def _logistic(tmp_path: Path, cost: str, rate: str) -> dict:
    """`nndoctor run` on a hand-written logistic regression: check, then a Monitor loop."""
    result, report = run_script(LOGISTIC, tmp_path, cost, rate)
    assert result.returncode == 0, result.stderr
    return report


def test_log_of_zero_in_a_hand_written_loss_is_named_when_the_loss_turns_nan(tmp_path):
    report = _logistic(tmp_path, "unguarded", "200")
    assert "unstable-loss" in problem_ids(report)[:2], problem_ids(report)


def test_a_clipped_loss_at_the_same_rate_is_not_unstable(tmp_path):
    ids = {f["id"] for f in _logistic(tmp_path, "clipped", "200")["findings"]}
    assert not {"unstable-loss", "nan-loss"} & ids, ids


def test_an_unguarded_loss_that_never_reaches_0_or_1_is_not_flagged(tmp_path):
    ids = {f["id"] for f in _logistic(tmp_path, "unguarded", "0.1")["findings"]}
    assert "unstable-loss" not in ids, ids
