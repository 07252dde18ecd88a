"""Simulation: the Mesa model that composes economy, policy and recorder, and batches of runs."""
