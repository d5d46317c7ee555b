"""Every hot path against an independent floor: `python -m bench`, docs/benchmarks.md."""
