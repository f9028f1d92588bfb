"""The Celery app of the test workers (`celery -A tests.integration.worker_app worker`):
the product's app, plus the pause points the worker-kill test drives."""

from __future__ import annotations

from bzpeer.celery import app
from profiles.signals import trust_chunk_midway
from tests.integration.pause_points import pause_in_trust_chunk

trust_chunk_midway.connect(pause_in_trust_chunk, dispatch_uid="tests.pause.trust-chunk")

__all__ = ["app"]
