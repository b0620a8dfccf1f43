"""``python -m logship``: the same as the ``logship`` command."""

import sys

from logship.cli import main

sys.exit(main())
