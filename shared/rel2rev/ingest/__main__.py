"""Print the generic source's JSON schema.

Usage: `python -m rel2rev.ingest > docs/generic-event.schema.json`.
"""

import json

from rel2rev.ingest.sources.generic_format import delivery_schema

print(json.dumps(delivery_schema(), indent=2))
