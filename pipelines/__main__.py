"""`python -m pipelines` runs the `contacts-elt` command."""

import sys

from pipelines.cli import main

sys.exit(main())
