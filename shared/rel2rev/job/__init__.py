"""The scheduled modelling job: read a workspace's window, run every model, store the results."""
