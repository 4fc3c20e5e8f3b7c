"""Write the finance API's OpenAPI 3.1 document: `python -m rel2rev.api.openapi > openapi.json`.

The document is generated from the resolver's routes and models; `openapi.json` at the
repository root is this output, and a test fails when they differ.
"""

from __future__ import annotations

import json
import sys

from rel2rev.api.routes import openapi_document


def rendered() -> str:
    """The document as committed: two-space indented JSON with a final newline."""
    return json.dumps(json.loads(openapi_document()), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(rendered())
