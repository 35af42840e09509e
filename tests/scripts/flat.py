"""A run whose loss is exactly the same for 30 steps: a loss-plateau error."""

import nndoctor.numpy as nnd

monitor = nnd.Monitor()
for _ in range(30):
    monitor.record(1.5)
