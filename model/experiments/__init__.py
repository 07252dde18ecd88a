"""Experiments: a scenario's replicates, sweeps and sensitivity analyses."""
