"""``python -m bot.cli``: the ``verbatim`` command without the installed console script."""

import sys

from bot.cli.main import main

sys.exit(main())
