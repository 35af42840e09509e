"""Prints what Python gave the script (argv, __file__, sys.path[0]), then chdirs beside itself."""

import json
import os
import sys

print("whoami: " + json.dumps({"argv": sys.argv, "file": __file__, "path0": sys.path[0]}))
os.chdir(os.path.dirname(__file__))  # issue 14.2: FileNotFoundError '' when __file__ is relative
