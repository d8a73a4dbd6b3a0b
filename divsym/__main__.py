"""``python -m divsym``."""

import sys

from divsym.cli import main

sys.exit(main())
