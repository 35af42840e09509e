"""Seed 003 as it is (or its reseeded copy in argv[2]); at exit (after nndoctor's fix
trials) its model's weights go to argv[1].

Also saves the next draws of Python's and NumPy's global RNGs: trials on and
off (--no-experiments) must leave the same numbers.
"""

import atexit
import random
import runpy
import sys
from pathlib import Path

import numpy as np

SEED = Path(__file__).resolve().parents[2] / "examples" / "seeds" / "seed_003.py"
OUT = sys.argv[1]  # read now: nndoctor puts its own argv back before the exit
if len(sys.argv) > 2:
    SEED = Path(sys.argv[2])  # a copy of seed 003 with another seed (tests/conftest.reseeded)
names = runpy.run_path(str(SEED), run_name="__main__")


def save() -> None:
    weights = names["model"].get_weights()
    np.savez(OUT, *weights, np.array([random.random()]), np.random.rand(3))


atexit.register(save)
