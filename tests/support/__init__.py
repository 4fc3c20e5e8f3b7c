"""Helpers shared by the unit and the integration tests: the CRM stand-ins' seed data and
connections (`hubspot`, `pipedrive`, `salesforce`) and the backfill's test doubles and shared
runs (`backfill`). Importable as `support` because `tests/conftest.py` puts `tests/` on the
path, as it does for `openapi_observer`."""
