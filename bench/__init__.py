"""Rerunnable benchmarks: ``raqib bench`` (see bench.run). Figures come from here, never from timed tests."""
