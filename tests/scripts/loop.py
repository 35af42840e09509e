"""A long run: records argv[1] steps, or forever (with a tiny sleep) without an argument.

The record call sits inside the user's own `except Exception`, which must not swallow
nndoctor's --max-steps/--max-seconds stop.
"""

import itertools
import sys
import time

import nndoctor.numpy as nnd

steps = range(int(sys.argv[1])) if len(sys.argv) > 1 else itertools.count()
monitor = nnd.Monitor()
for i in steps:
    try:
        monitor.record(2.0 / (1.0 + 0.01 * i))
    except Exception:
        pass
    if len(sys.argv) == 1:
        time.sleep(0.002)
print("loop finished")
