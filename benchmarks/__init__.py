"""Benchmarks of the fast model and its idiomatic-Mesa reference implementation.

- :mod:`benchmarks.reference`: the same yearly rules written the idiomatic Mesa way, one
  :class:`mesa.Agent` per firm (the baseline the fast model is measured against and checked
  for faithfulness by ``tests/test_reference.py``);
- ``benchmarks/run.py``: the benchmark table (``python benchmarks/run.py``), see
  ``docs/benchmarks.md``.
"""
