"""A run that records 5 steps, then fails inside the user's own function."""

import nndoctor.numpy as nnd


def train() -> None:
    monitor = nnd.Monitor()
    for i in range(5):
        monitor.record(1.0 / (i + 1))
    raise ValueError("the data loader ran dry")  # line 10: the traceback must point here


train()
