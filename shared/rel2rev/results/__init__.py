"""The results of a run: one contract per kind of result (`contracts`), read by storage, the
API, exports and the report alike, and how they tie out (`reconciliation`)."""
