"""nndoctor: tells you why your neural network does not train, with the numbers.

`import nndoctor` needs neither torch nor keras: the framework probes are
imported only when used (`nndoctor.numpy`, and the CLI's `run`).
"""

from nndoctor.errors import UsageError

__version__ = "0.1.0"
__all__ = ["UsageError", "__version__"]
