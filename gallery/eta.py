"""How long a stylization has left: the estimate the result page, the gallery and the API show.

A percentage of steps is a poor guide: coarse-to-fine stages differ in cost per step by
the ratio of their pixels (16x between a 128 px and a 512 px stage), so 18 % of the steps
can be 5 % of the time. The estimate is built from measured step times instead:

- Cost model: one optimizer step at a stage of `p` pixels takes `overhead + rate * p`
  seconds (`Speed`). The work per step is VGG-19 forward and backward passes, which scale
  with the pixels; the overhead is what does not (Python, kernel launches; it dominates
  small stages on a GPU).
- While a job runs, the worker (`stylizer.run`) times every step (`StageClock`): the
  stage it is in keeps its own measured time per step; later stages are extrapolated
  from the stages done (a least-squares fit of rate and overhead once two stage sizes
  are measured, else the worker's previous fit scaled to this job's measured stage, else
  a rate through the pixels alone), and the expected finish is written to the row
  (`eta_at`) with every progress write, so it is refined as the steps run.
- Each worker keeps its last fitted speed in Redis (`speed_store`); a job's estimate
  before its first steps comes from it, and so do the estimates for queued jobs (the
  mean over the workers that have measured one).
- A queued job waits for the jobs ahead: the running ones' remaining times and the
  queued ones' estimates, spread over the workers as they free up (`QueueSnapshot`).

Nothing here imports torch: the web tier reads estimates without loading the engine.
"""

from __future__ import annotations

import heapq
import json
import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.utils import timezone

from gallery.models import Stylization, stale_running
from stylizer.engine.params import StyleParams
from stylizer.engine.pixels import fit_long_side

log = logging.getLogger(__name__)

SPEEDS_KEY = "stylizer:speeds"
# A worker's speed is forgotten after this long without a job (it may be gone, or moved).
SPEED_TTL = 30 * 24 * 3600
# Queued rows the snapshot reads at most (the queue is never this long in practice).
QUEUE_LOOKAHEAD = 500

Plan = list[tuple[int, int]]  # (pixels, steps) for each stage, coarsest first


@dataclass(frozen=True)
class Speed:
    """Seconds per optimizer step: `overhead + rate * megapixels`."""

    rate: float  # seconds per megapixel-step
    overhead: float = 0.0  # seconds per step, whatever the size

    def step_seconds(self, pixels: int) -> float:
        return self.overhead + self.rate * pixels / 1e6

    def job_seconds(self, plan: Plan) -> float:
        return sum(steps * self.step_seconds(pixels) for pixels, steps in plan)

    def scaled(self, factor: float) -> Speed:
        return Speed(self.rate * factor, self.overhead * factor)


def plan(params: StyleParams | dict, photo: tuple[int, int]) -> Plan:
    """The stages a worker runs for these parameters on a photo of `photo` (width, height) px:
    (pixels, steps) each, coarsest first, with the worker's step cap applied."""
    if isinstance(params, dict):
        params = StyleParams.from_json(params)
    params = with_step_cap(params)
    if not all(photo):  # dimensions not recorded: estimate as a square
        photo = (1, 1)
    return [(math.prod(fit_long_side(photo, stage.long_side)), stage.steps) for stage in params.stages()]


def with_step_cap(params: StyleParams) -> StyleParams:
    """The parameters a worker runs: STYLIZER_MAX_STEPS caps the steps of every job."""
    cap = settings.STYLIZER_MAX_STEPS
    if cap and sum(stage.steps for stage in params.stages()) > cap:
        return params.replace(steps=cap)
    return params


def fit(samples: Sequence[tuple[int, float, int]]) -> Speed | None:
    """A speed from measured stages, each (pixels, seconds per step, steps measured).

    Weighted least squares for overhead and rate once two sizes are measured; None if
    fewer, or if the fit is not physical (a negative rate or overhead: noise on stages too
    close in size), so the caller falls back to a simpler model.
    """
    points = [(pixels / 1e6, seconds, weight) for pixels, seconds, weight in samples if weight > 0]
    if len({x for x, _, _ in points}) < 2:
        return None
    total = sum(w for _, _, w in points)
    mean_x = sum(w * x for x, _, w in points) / total
    mean_y = sum(w * y for _, y, w in points) / total
    var = sum(w * (x - mean_x) ** 2 for x, _, w in points)
    rate = sum(w * (x - mean_x) * (y - mean_y) for x, y, w in points) / var
    overhead = mean_y - rate * mean_x
    if rate <= 0 or overhead < 0:
        return None
    return Speed(rate, overhead)


class StageClock:
    """The worker's stopwatch over one job: times each step by stage and estimates what is left."""

    def __init__(self, stages: Plan, *, prior: Speed | None = None, start: float | None = None):
        self.stages = stages
        self.prior = prior
        self.last = time.monotonic() if start is None else start
        self.done = [0] * len(stages)
        self.seconds = [0.0] * len(stages)
        self.first = [0.0] * len(stages)

    def step(self, stage: int, now: float | None = None) -> None:
        """One step of `stage` (1-based, as the engine's Progress counts) ended at `now`."""
        now = time.monotonic() if now is None else now
        index = min(max(stage, 1), len(self.stages)) - 1
        if not self.done[index]:
            self.first[index] = now - self.last
        self.done[index] += 1
        self.seconds[index] += now - self.last
        self.last = now

    def per_step(self, index: int) -> float:
        """Measured seconds per step at a stage begun. Its first step also carries the stage's
        set-up (loading the images, the style targets at its size: several steps' worth on the
        first stage), so it is left out once a second step is timed."""
        if self.done[index] >= 2:
            return (self.seconds[index] - self.first[index]) / (self.done[index] - 1)
        return self.seconds[index] / self.done[index]

    def _measured(self) -> list[tuple[int, float, int]]:
        return [(pixels, self.per_step(i), self.done[i]) for i, (pixels, _) in enumerate(self.stages) if self.done[i]]

    def speed(self) -> Speed | None:
        """The best model of this job's steps: fitted, or a known shape scaled to the latest stage."""
        measured = self._measured()
        shape = fit(measured) or self.prior
        if not measured:
            return shape
        pixels, per_step, _ = measured[-1]
        if shape is None:
            return Speed(rate=per_step / (pixels / 1e6))
        return shape.scaled(per_step / shape.step_seconds(pixels))

    def remaining(self) -> float | None:
        """Seconds left after the last step: measured times at stages begun, the model elsewhere."""
        speed = self.speed()
        if speed is None:
            return None
        left = 0.0
        for i, (pixels, steps) in enumerate(self.stages):
            if steps <= self.done[i]:
                continue
            per_step = self.per_step(i) if self.done[i] else speed.step_seconds(pixels)
            left += (steps - self.done[i]) * per_step
        return left

    def finish_at(self) -> datetime | None:
        """When the job should end, as a time to store on the row."""
        left = self.remaining()
        if left is None:
            return None
        return timezone.now() + timedelta(seconds=left - (time.monotonic() - self.last))


# The workers' speeds, in Redis -------------------------------------------------------


def _connection():
    import django_rq

    return django_rq.get_connection(settings.RQ_QUEUE)


def speed_save(worker: str, speed: Speed) -> None:
    """Remember a worker's latest fitted speed (best effort: Redis may be down)."""
    try:
        connection = _connection()
        connection.hset(SPEEDS_KEY, worker, json.dumps({"rate": speed.rate, "overhead": speed.overhead}))
        connection.expire(SPEEDS_KEY, SPEED_TTL)
    except redis.RedisError as exc:
        log.info("could not save the speed of %s: %s", worker, exc)


def speeds_load() -> dict[str, Speed]:
    """Every worker's last speed; empty if none is known or Redis is down."""
    try:
        stored = _connection().hgetall(SPEEDS_KEY)
    except redis.RedisError as exc:
        log.info("could not read the workers' speeds: %s", exc)
        return {}
    speeds = {}
    for worker, value in stored.items():
        try:
            data = json.loads(value)
            speeds[worker.decode()] = Speed(float(data["rate"]), float(data["overhead"]))
        except (ValueError, KeyError, TypeError):
            continue
    return speeds


def _worker_count() -> int:
    from rq import Worker

    from gallery.services.queue import get_queue

    try:
        return max(1, Worker.count(queue=get_queue()))
    except redis.RedisError:
        return 1


def mean_speed(speeds: Iterable[Speed]) -> Speed | None:
    speeds = list(speeds)
    if not speeds:
        return None
    return Speed(sum(s.rate for s in speeds) / len(speeds), sum(s.overhead for s in speeds) / len(speeds))


# Reading estimates ---------------------------------------------------------------------


class QueueSnapshot:
    """The queue at one moment, read once, so that every row on a page gets its estimate
    without a query each: the running rows' expected finishes and the queued rows in order."""

    def __init__(self, now: datetime | None = None):
        self.now = now or timezone.now()
        self._finishes: dict = {}
        self._loaded = False

    def _load(self) -> None:
        self._loaded = True
        speed = mean_speed(speeds_load().values())
        workers = _worker_count()
        active = Stylization.objects.select_related("photo").only(
            "pk", "status", "params", "eta_at", "queued_at", "started_at", "photo__width", "photo__height"
        )
        running = active.filter(status=Stylization.Status.RUNNING).exclude(stale_running())
        queued = active.filter(status=Stylization.Status.QUEUED).order_by("queued_at", "pk")[:QUEUE_LOOKAHEAD]
        free_at: list[float] = []
        for row in running:
            left = self._running_left(row, speed)
            self._finishes[row.pk] = left
            free_at.append(left if left is not None else 0.0)
        # The running jobs hold their workers; idle workers are free now.
        free_at = sorted(free_at)[:workers] + [0.0] * max(0, workers - len(free_at))
        heapq.heapify(free_at)
        for row in queued:
            if speed is None:
                self._finishes[row.pk] = None
                continue
            finish = heapq.heappop(free_at) + speed.job_seconds(plan(row.params, (row.photo.width, row.photo.height)))
            heapq.heappush(free_at, finish)
            self._finishes[row.pk] = finish

    def _running_left(self, row: Stylization, speed: Speed | None) -> float | None:
        if row.eta_at is not None:
            return max(0.0, (row.eta_at - self.now).total_seconds())
        if speed is None or row.started_at is None:
            return None
        total = speed.job_seconds(plan(row.params, (row.photo.width, row.photo.height)))
        return max(0.0, total - (self.now - row.started_at).total_seconds())

    def seconds_left(self, stylization: Stylization) -> int | None:
        """Seconds until the row's result is expected; None when finished or not yet known."""
        if stylization.status not in Stylization.ACTIVE_STATUSES:
            return None
        if not self._loaded:
            self._load()
        left = self._finishes.get(stylization.pk)
        return None if left is None else math.ceil(left)


def describe(seconds: int | None) -> str:
    """The estimate in words, as the pages show it (static/gallery/stylization.js says the same)."""
    if seconds is None:
        return ""
    if seconds < 10:
        return "a few seconds left"
    if seconds < 60:
        return f"about {math.ceil(seconds / 5) * 5} s left"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60} min left"


def stylization_eta(*, stylization: Stylization) -> int | None:
    """Seconds until one row's result is expected (None when finished or not yet known)."""
    return QueueSnapshot().seconds_left(stylization)
