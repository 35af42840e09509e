"""A small hand-written NumPy MLP for the rule tests, with the faults students write.

Samples along rows, ReLU hidden layers, softmax (or sigmoid) output, mean
cross-entropy. Each fault is a switch; with none set the net is healthy and
learns sklearn's digits.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits


def digits(
    n: int | None = None, scale: float = 1 / 16
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, ids, one_hot): sklearn's 8x8 digits, inputs scaled to [0, 1] by default."""
    data = load_digits()
    x, ids = data.data[:n] * scale, data.target[:n]
    return x, ids, np.eye(10)[ids]


class MLP:
    def __init__(
        self,
        sizes: tuple[int, ...] = (64, 32, 10),
        *,
        seed: int = 0,
        init_scale: float | None = None,  # None: He, sqrt(2 / fan_in)
        lr: float = 0.5,
        output: str = "softmax",
        relu_mask_on_gradient: bool = False,
        grad_factor: float = 1.0,
        stale_predict: bool = False,
        skip_update: tuple[str, ...] = (),
        zero_first_row_in_gradients: bool = False,
        labels: str = "one-hot",  # "one-hot", "ids-indexed", "ids-broadcast"
    ) -> None:
        rng = np.random.default_rng(seed)
        self.params: dict[str, np.ndarray] = {}
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), 1):
            scale = np.sqrt(2 / fan_in) if init_scale is None else init_scale
            self.params[f"W{i}"] = rng.standard_normal((fan_in, fan_out)) * scale
            self.params[f"b{i}"] = np.zeros((1, fan_out))
        self.layers = len(sizes) - 1
        self.lr, self.output = lr, output
        self.relu_mask_on_gradient = relu_mask_on_gradient
        self.grad_factor = grad_factor
        self.stale_predict = stale_predict
        self.skip_update = skip_update
        self.zero_first_row = zero_first_row_in_gradients
        self.labels = labels
        self.cache: list[np.ndarray] = []

    def forward(self, x: np.ndarray) -> np.ndarray:
        a = x
        self.cache = [x]
        for i in range(1, self.layers + 1):
            z = a @ self.params[f"W{i}"] + self.params[f"b{i}"]
            if i < self.layers:
                a = np.maximum(z, 0)
            elif self.output == "softmax":
                e = np.exp(z - z.max(axis=1, keepdims=True))
                a = e / e.sum(axis=1, keepdims=True)
            else:
                a = 1 / (1 + np.exp(-z))
            self.cache.append(a)
        return a

    def targets(self, y: np.ndarray, width: int) -> np.ndarray:
        if self.labels == "ids-indexed":
            return np.eye(width)[y.astype(int)]
        if self.labels == "ids-broadcast":
            return y.reshape(-1, 1)  # broadcasts against (m, K): every unit gets the id
        return y

    def loss(self, out: np.ndarray, y: np.ndarray) -> float:
        t = self.targets(y, out.shape[1])
        p = np.clip(out, 1e-12, 1 - 1e-12)
        if self.output == "softmax":
            return float(-np.mean(np.sum(t * np.log(p), axis=1)))
        return float(-np.mean(np.sum(t * np.log(p) + (1 - t) * np.log(1 - p), axis=1)))

    def gradients(self, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        out = self.forward(x)
        m = x.shape[0]
        delta = (out - self.targets(y, out.shape[1])) / m
        grads = {}
        for i in range(self.layers, 0, -1):
            grads[f"W{i}"] = self.cache[i - 1].T @ delta * self.grad_factor
            grads[f"b{i}"] = delta.sum(axis=0, keepdims=True) * self.grad_factor
            if i > 1:
                back = delta @ self.params[f"W{i}"].T
                if self.relu_mask_on_gradient:
                    back[back < 0] = 0
                else:
                    back[self.cache[i - 1] <= 0] = 0
                delta = back
        if self.zero_first_row:
            self.params["W1"][0] = 0
        return grads

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        grads = self.gradients(x, y)
        for name, grad in grads.items():
            if name not in self.skip_update:
                self.params[name] = self.params[name] - self.lr * grad

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self.stale_predict:
            return self.cache[-1].argmax(axis=1)  # the last training output, not x's
        out = self.forward(x)
        return (out[:, 0] > 0.5).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)

    def check(self, x: np.ndarray, y: np.ndarray, **kwargs):
        import nndoctor.numpy as nnd

        return nnd.check(
            lambda: self.params,
            x,
            y,
            forward=self.forward,
            loss=self.loss,
            gradients=self.gradients,
            step=self.step,
            predict=self.predict,
            show=False,
            **kwargs,
        )

    def train(
        self,
        x: np.ndarray,
        y: np.ndarray,
        epochs: int,
        batch: int = 32,
        monitor=None,
        shuffle_seed: int = 0,
    ) -> None:
        order_rng = np.random.default_rng(shuffle_seed)
        for _ in range(epochs):
            order = order_rng.permutation(len(x))
            for start in range(0, len(x), batch):
                idx = order[start : start + batch]
                self.step(x[idx], y[idx])
                if monitor is not None:
                    out = self.cache[-1]
                    monitor.record(self.loss(out, y[idx]), output=out, y=y[idx])
