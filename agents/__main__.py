"""``python -m agents`` runs the ``vecreward`` command line."""

import sys

from agents.cli import main

sys.exit(main())
