"""Analysis: views derived from a run or sweep dataset (targets, bands, differences, Shapley)."""
