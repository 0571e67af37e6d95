"""Generators of SYNTHETIC registries for demo data, tests and benchmarks (not in the wheel)."""
