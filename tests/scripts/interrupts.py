"""A run interrupted by Ctrl-C after 5 steps (KeyboardInterrupt raised deterministically)."""

import nndoctor.numpy as nnd

monitor = nnd.Monitor()
for i in range(100):
    if i == 5:
        raise KeyboardInterrupt
    monitor.record(1.0 / (i + 1))
