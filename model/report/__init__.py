"""Reports: the text tables of a run, a sweep and a sensitivity analysis."""
