"""The logship benchmark: ``python -m bench`` (see :mod:`bench.run` and docs/performance.md)."""
