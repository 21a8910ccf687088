"""Helpers for print tests: a worker registered in Redis as listening on print queues."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import django_rq
from django.conf import settings
from rq import Queue, Worker

from gallery.services.queue import print_queue_name

# The print sizes the tests offer (STYLIZER_PRINT_SIDES), tiny like every test image.
SIDES = (96, 128)


@contextmanager
def workers_making(*sides: int) -> Iterator[Worker]:
    """A worker registered (in the real Redis, as `rqworker` registers) on these sides' print
    queues, as stylizer/worker.py listens; unregistered after. It runs nothing: the page and
    the API only ask whether some live worker listens."""
    connection = django_rq.get_connection(settings.RQ_QUEUE)
    queues = [Queue(print_queue_name(side), connection=connection) for side in sides]
    worker = Worker(queues or [Queue(settings.RQ_QUEUE, connection=connection)], connection=connection)
    worker.name = f"print-test-{uuid.uuid4().hex}"
    worker.register_birth()
    try:
        yield worker
    finally:
        worker.register_death()
