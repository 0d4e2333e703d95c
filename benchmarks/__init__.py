"""Reproducible benchmarks against real redis-server (run as `python -m benchmarks.<name>`)."""
