"""Benchmarks and the load test: `make bench` (python -m bench). Not collected by pytest."""
