"""The exit statuses shared by every subcommand.

Apart from the package's ``__init__`` so that a subcommand can import them
without importing the package that imports every subcommand (an import cycle).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1  # the command ran but something failed (events not sent, say)
EXIT_USAGE = 2  # bad arguments or an invalid config file
EXIT_INPUT_PROBLEMS = 3  # the run finished but some input could not be read
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it
