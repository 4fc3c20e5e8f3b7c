"""Reading the CRMs' APIs as a service: the composition root of backfills (`root`) and the
nightly reconciliation (`reconcile`)."""
