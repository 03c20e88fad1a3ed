"""``python -m sersk``: the same as the ``sersk`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
