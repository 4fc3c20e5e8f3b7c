"""`python -m rel2rev` is the `rel2rev` command."""

import sys

from rel2rev.cli import main

sys.exit(main())
