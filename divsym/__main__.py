"""``python -m divsym``."""

import sys

from divsym.cli.main import main

sys.exit(main())
