"""``python -m model``: see :mod:`model.cli`."""

import sys

from model.cli import main

sys.exit(main())
