"""BZPEER benchmarks: `python bench/run.py` or `python -m bench` (make bench).

Each measure is a module in bench/measures/ exposing MEASURE (see bench/core.py); run.py
finds them all, runs them against PostgreSQL with the synthetic data set and writes one
table to stdout and bench/results.md.
"""
