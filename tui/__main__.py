"""``python -m tui`` and the ``xltop`` console script."""

from __future__ import annotations

import sys

from tui.cli import main

if __name__ == "__main__":
    sys.exit(main())
