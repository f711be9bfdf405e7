"""Benchmarks: `make bench` (python -m benchmarks). Timings are measured here, never asserted in tests."""
