"""Signals the profiles app sends. No model imports here: a test's Celery worker connects to
them before Django is set up."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by the trust engine in the middle of a chunk: author rows written, snapshots not
# yet, nothing committed. Nothing in the product listens; the worker-kill test
# (tests/integration/pause_points.py) pauses a worker here to kill it at a known place.
trust_chunk_midway = Signal()
