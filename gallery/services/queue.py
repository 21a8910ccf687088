"""The stylization queue: enqueue a row's job, cancel it, and how long it may run.

The job is named only by its dotted path: the web tier never imports the worker side
(`stylizer.jobs`), which would load the engine and PyTorch.
"""

from __future__ import annotations

import logging
import math

import django_rq
import redis
from django.conf import settings
from django.utils import timezone
from rq import Queue, worker_registration
from rq.job import Job

from gallery import errors
from gallery.models import Stylization
from stylizer.engine.params import StyleParams

log = logging.getLogger(__name__)

JOB_FUNCTION = "stylizer.jobs.run_stylization"
# Wall time of one optimizer step at 512 px, with headroom: the README benchmark measured
# about 3.2 s on a 2-core CPU with nothing else running, and a busy worker machine is
# slower. The job timeout scales it by each stage's pixels so big and high-quality jobs
# get proportionally longer; it only bounds a stuck job, so generous costs nothing.
SECONDS_PER_STEP_AT_512 = 8.0


def job_timeout(params: StyleParams) -> int:
    """Seconds RQ allows the job: a base plus a per-step cost scaled by each stage's pixels."""
    work = sum(stage.steps * (stage.long_side / 512) ** 2 for stage in params.stages())
    seconds = settings.STYLIZER_JOB_TIMEOUT_BASE + work * SECONDS_PER_STEP_AT_512 * settings.STYLIZER_JOB_TIMEOUT_SCALE
    return max(1, math.ceil(seconds))


_clients: dict[str, redis.Redis] = {}


def connection() -> redis.Redis:
    """The queue's Redis client, one per process (per RQ_QUEUES configuration): its pool
    keeps connections open across requests and threads. django_rq.get_connection and
    get_queue build a new client each call, so every call paid a new connection (connect,
    then redis-py's CLIENT SETINFO handshake) before its command; a poll of a queued or
    running row made two."""
    config = settings.RQ_QUEUES[settings.RQ_QUEUE]
    key = repr(sorted(config.items()))
    client = _clients.get(key)
    if client is None:
        client = _clients.setdefault(key, django_rq.get_connection(settings.RQ_QUEUE))
    return client


def get_queue():
    # commit_mode="auto": we already call this from on_commit, so enqueue at once and see
    # Redis errors here, instead of django-rq deferring again and returning None.
    return django_rq.get_queue(settings.RQ_QUEUE, commit_mode="auto", connection=connection())


def print_queue_name(side: int) -> str:
    """The queue of prints of this long side: only workers that can make them listen on it
    (stylizer.capacity)."""
    return f"{settings.RQ_QUEUE}-print-{side}"


def queue_for(params: StyleParams):
    """A print's size's queue, or the ordinary one."""
    if not params.continue_from:
        return get_queue()
    return Queue(print_queue_name(params.size), connection=get_queue().connection)


def print_sides_available() -> list[int]:
    """The offered print sides some live worker makes (one listens on its queue). Empty if
    Redis cannot say."""
    try:
        connection = get_queue().connection
        return [side for side in settings.STYLIZER_PRINT_SIDES if _live_workers(print_queue_name(side), connection)]
    except redis.RedisError as exc:
        log.info("could not read the workers: %s", exc)
        return []


def enqueue(stylization: Stylization, params: StyleParams | None = None) -> None:
    """Put the row's job on the queue; if Redis is down, fail the row (retryable) and raise.
    `params`: the row's, when the caller has them already (else read from the row)."""
    params = params or StyleParams.from_json(stylization.params)
    try:
        queue_for(params).enqueue_call(
            JOB_FUNCTION,
            kwargs={"stylization_id": str(stylization.pk), "attempt": stylization.attempt},
            job_id=stylization.job_id,
            timeout=job_timeout(params),
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description=f"stylize {stylization.pk} attempt {stylization.attempt}",
        )
    except redis.RedisError as exc:
        log.error("could not enqueue %s: %s", stylization.job_id, exc)
        Stylization.objects.filter(
            pk=stylization.pk, attempt=stylization.attempt, status=Stylization.Status.QUEUED
        ).update(status=Stylization.Status.FAILED, error_message=errors.QUEUE_UNAVAILABLE, finished_at=timezone.now())
        raise errors.QueueUnavailable(stylization_id=stylization.pk) from exc


def _live_workers(queue_name: str, connection) -> int:
    """Workers listening on the queue whose key has not expired (a killed worker's lasts its
    TTL, RQ's 420 s, until then a print waits for it in vain)."""
    keys = worker_registration.get_keys(queue=Queue(queue_name, connection=connection))
    return connection.exists(*keys) if keys else 0


def cancel_job(job_id: str) -> None:
    """Best effort: drop the job from Redis. The row already says cancelled, which is what counts."""
    try:
        job = Job.fetch(job_id, connection=get_queue().connection)
        if job.get_status() == "queued":
            job.cancel()
    except Exception as exc:
        log.info("could not cancel job %s in Redis: %s", job_id, exc)
