"""`python -m glasstorch run script.py [args ...]`: see glasstorch.cli."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
