"""The finance API: route logic over precomputed run results, scoped to the caller's workspace."""
