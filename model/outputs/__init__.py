"""Outputs: the variable catalogue, the recorder and the labelled dataset."""
