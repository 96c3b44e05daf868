"""`python -m webapp`: the same as `cairn-server` (webapp/cli.py)."""

import sys

from webapp.cli import main

sys.exit(main())
