"""The RQ worker class for stylization jobs: `manage.py rqworker stylize` uses it (settings.RQ).

Why SimpleWorker (no fork per job) and not RQ's default forking Worker:
- VGG-19 loads once per worker process (`warm_up` at start) and stays in memory for
  every job; a forked child would either reload it per job or inherit a copy made
  before the fork.
- CUDA cannot be used in a child forked after CUDA was initialised in the parent, and
  initialising it in every child costs seconds. Running jobs in the worker's own
  process keeps one CUDA context for the life of the worker and never forks with it.
The price: a job that hangs hangs the worker. RQ's timeout still fires (SIGALRM in the
same process), and the heartbeat/reaper in gallery.services covers a worker that dies.

It also settles what a previous run left behind before taking jobs: rows whose worker
died are failed (retryable), and queued rows whose Redis job is gone are re-enqueued.
"""

from __future__ import annotations

import logging
import os
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rq.worker import SimpleWorker

from gallery import services
from stylizer.engine import warm_up
from stylizer.engine.devices import WEIGHTS_ENV
from stylizer.engine.params import DEVICES

log = logging.getLogger(__name__)


class StylizerWorker(SimpleWorker):
    def work(self, *args, **kwargs) -> bool:
        device = settings.STYLIZER_DEVICE
        if device not in DEVICES:
            raise ImproperlyConfigured(f"STYLIZER_DEVICE must be one of {', '.join(DEVICES)}, not {device!r}.")
        if settings.STYLIZER_TORCHVISION_WEIGHTS:
            # The engine reads its weights path from the environment, for warm-up and for every job.
            os.environ[WEIGHTS_ENV] = settings.STYLIZER_TORCHVISION_WEIGHTS
        started = time.monotonic()
        warm_up(device)
        log.info("VGG-19 ready on %s in %.1f s", device, time.monotonic() - started)
        reaped = services.stylization_reap_stale()
        requeued = services.stylization_enqueue_orphans()
        if reaped or requeued:
            log.info("settled %d stale running rows, re-enqueued %d orphaned queued rows", reaped, requeued)
        return super().work(*args, **kwargs)

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        services.stylization_reap_stale()
