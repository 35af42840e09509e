"""A run that learns: the loss falls steadily and levels off near zero.

Prints its own arguments as JSON so the CLI tests can see what reached the script.
"""

import json
import sys

import nndoctor.numpy as nnd


def main() -> None:
    print("script argv:", json.dumps(sys.argv[1:]))
    monitor = nnd.Monitor()
    for i in range(200):
        monitor.record(2.0 * 0.97**i)


if __name__ == "__main__":
    main()
