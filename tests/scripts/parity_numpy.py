"""Entry-point parity (issue 15): one hand-written NumPy network, through `check` or `Monitor`.

Run plain (`python parity_numpy.py CASE OUT.json SECONDS`) the report of `check` (or of the
Monitor) is written to OUT.json; under `nndoctor run` both join the run. Cases:
lr_low (check; its fix is validated), bad_init (check), diverging (Monitor only).
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/nets.py
from nets import MLP, digits  # noqa: E402

import nndoctor.numpy as nnd  # noqa: E402

case = sys.argv[1]
# The budget of each experiment and fix trial; under `nndoctor run`, --trial-seconds.
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else None  # None: check's default
x, _, y = digits(600)
if case == "diverging":
    net = MLP(lr=50.0)  # ~100x the rate that trains this net: the loss blows up
    monitor = nnd.Monitor(params=lambda: net.params)
    net.train(x, y, epochs=3, monitor=monitor)
    report = monitor.report()
else:
    net = MLP(lr=1e-7) if case == "lr_low" else MLP(init_scale=8.0)
    report = net.check(x[:32], y[:32], trial_seconds=seconds)
if len(sys.argv) > 2:
    with open(sys.argv[2], "w") as out:
        json.dump(report.to_json(), out)
