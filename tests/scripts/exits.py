"""A run with a flat loss for 30 steps (a loss-plateau error), then sys.exit(argv[1]).

An integer exits with that code, "none" calls sys.exit(None), anything else is a message.
"""

import sys

import nndoctor.numpy as nnd

monitor = nnd.Monitor()
for _ in range(30):
    monitor.record(1.5)
arg = sys.argv[1]
if arg == "none":
    sys.exit(None)
sys.exit(int(arg) if arg.lstrip("-").isdigit() else arg)
