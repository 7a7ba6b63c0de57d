"""`python -m scanner` runs the `dftriage` command."""

import sys

from scanner.cli import main

sys.exit(main())
