"""``python -m app.cli`` runs the outputhub command."""

import sys

from . import main

sys.exit(main())
