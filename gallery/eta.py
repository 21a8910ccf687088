"""How long a stylization has left: the estimate the result page, the gallery and the API show.

A percentage of steps is a poor guide: coarse-to-fine stages differ in cost per step by
the ratio of their pixels (16x between a 128 px and a 512 px stage), so 18 % of the steps
can be 5 % of the time. The estimate is built from measured step times instead:

- Cost model (`Speed`): a worker's seconds per step as a curve over a stage's pixels,
  through the step times it measured (interpolated on log-log axes). The work per step is
  VGG-19 forward and backward passes, about in proportion to the pixels, but not quite:
  small stages carry a fixed overhead (Python, kernel launches: most of a step on a GPU),
  and what a pixel costs can change with the size (caches), so no single rate fits
  every machine; measured points do.
- While a job runs, the worker (`stylizer.run`) times every step (`StageClock`): a
  stage begun keeps its own measured time per step; later stages come from the worker's
  curve of earlier jobs, scaled to how fast this job's latest stage runs (the machine may
  be busier now), or, on a worker's first job, from this job's stages alone. The expected
  finish is written to the row (`eta_at`) with every progress write, so it is refined as
  the steps run, and at the end the job's stages are merged into the worker's curve.
- Each worker keeps its curve in Redis (`speed_save`, `speeds_load`); a job's estimate
  before its first steps comes from it (a fresh worker borrows another's), and so do the
  estimates for queued jobs (the mean over the workers' curves).
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
# Measured sizes within this ratio count as the same size; a curve keeps at most MAX_POINTS.
SAME_SIZE = 1.15
MAX_POINTS = 16

Plan = list[tuple[int, int]]  # (pixels, steps) for each stage, coarsest first


@dataclass(frozen=True)
class Speed:
    """Seconds per optimizer step as a function of a stage's pixels, from measured points.

    Between two measured sizes it interpolates on log-log axes (a power law through each
    pair); past the largest it goes on with the last pair's exponent, but never below 1
    (a step never costs less per pixel for being larger; it may cost more, past a
    cache); below the smallest, with the first pair's exponent, at most 1 (small steps carry a fixed
    overhead). One point: the cost in proportion to the pixels.
    """

    points: tuple[tuple[int, float], ...]  # (pixels, seconds per step), by pixels

    def step_seconds(self, pixels: int) -> float:
        points = self.points
        if len(points) == 1:
            return points[0][1] * pixels / points[0][0]
        index = next((i for i in range(1, len(points) - 1) if pixels < points[i][0]), len(points) - 1)
        (p0, t0), (p1, t1) = points[index - 1], points[index]
        exponent = math.log(t1 / t0) / math.log(p1 / p0)
        if pixels > points[-1][0]:
            exponent = max(exponent, 1.0)
        elif pixels < points[0][0]:
            exponent = min(max(exponent, 0.0), 1.0)
        return t0 * (pixels / p0) ** exponent

    def job_seconds(self, plan: Plan) -> float:
        return sum(steps * self.step_seconds(pixels) for pixels, steps in plan)

    def merged(self, measured: Sequence[tuple[int, float]]) -> Speed:
        """This curve updated with newer measurements: they replace the points of sizes
        within SAME_SIZE of theirs, and the other points are scaled by how much slower or
        faster the machine is now than the curve says, at the latest measured size."""
        if not measured:
            return self
        # The speed now, compared where the curve was measured rather than extrapolated.
        known = [(p, t) for p, t in measured if self._near_a_point(p)]
        pixels, seconds = (known or measured)[-1]
        factor = seconds / self.step_seconds(pixels)
        kept = [(p, t * factor) for p, t in self.points if not any(_same_size(p, q) for q, _ in measured)]
        return Speed.of([*kept, *measured])

    def _near_a_point(self, pixels: int) -> bool:
        return any(_same_size(pixels, p) for p, _ in self.points)

    @classmethod
    def of(cls, points: Iterable[tuple[int, float]]) -> Speed:
        """A curve through these points (sorted; one per size; the MAX_POINTS most spread kept)."""
        by_size = sorted({int(p): float(t) for p, t in points if p > 0 and t > 0}.items())
        while len(by_size) > MAX_POINTS:  # drop one of the two closest sizes
            i = min(range(1, len(by_size)), key=lambda i: by_size[i][0] / by_size[i - 1][0])
            del by_size[i - 1]
        return cls(tuple(by_size))


def _same_size(a: int, b: int) -> bool:
    return abs(math.log(a / b)) <= math.log(SAME_SIZE)


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

    def speed(self) -> Speed | None:
        """This job's step times as a curve: the stages timed so far on the worker's curve
        from earlier jobs (scaled to how fast it runs now), or on their own."""
        measured = [(pixels, self.per_step(i)) for i, (pixels, _) in enumerate(self.stages) if self.done[i]]
        if not measured:
            return self.prior
        return self.prior.merged(measured) if self.prior is not None else Speed.of(measured)

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
    from gallery.services.queue import connection

    return connection()


def speed_save(worker: str, speed: Speed) -> None:
    """Remember a worker's step-time curve (best effort: Redis may be down)."""
    try:
        connection = _connection()
        connection.hset(SPEEDS_KEY, worker, json.dumps({"points": speed.points}))
        connection.expire(SPEEDS_KEY, SPEED_TTL)
    except redis.RedisError as exc:
        log.info("could not save the speed of %s: %s", worker, exc)


def speeds_load() -> dict[str, Speed]:
    """Every worker's step-time curve; empty if none is known or Redis is down."""
    try:
        stored = _connection().hgetall(SPEEDS_KEY)
    except redis.RedisError as exc:
        log.info("could not read the workers' speeds: %s", exc)
        return {}
    speeds = {}
    for worker, value in stored.items():
        try:
            data = json.loads(value)
            speed = Speed.of((int(p), float(t)) for p, t in data["points"])
        except (ValueError, KeyError, TypeError):
            continue
        if speed.points:
            speeds[worker.decode()] = speed
    return speeds


def _worker_count() -> int:
    from rq import Worker

    from gallery.services.queue import get_queue

    try:
        return max(1, Worker.count(queue=get_queue()))
    except redis.RedisError:
        return 1


def best_known(speeds: Iterable[Speed]) -> Speed | None:
    """For a worker with no curve of its own: the most detailed of the others' (its shape
    is what counts; the worker's first stage scales it to its own speed)."""
    return max(speeds, key=lambda speed: len(speed.points), default=None)


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
        speeds = list(speeds_load().values())
        workers = _worker_count()
        active = Stylization.objects.select_related("photo").only(
            "pk", "status", "params", "eta_at", "queued_at", "started_at", "photo__width", "photo__height"
        )
        running = active.filter(status=Stylization.Status.RUNNING).exclude(stale_running())
        queued = active.filter(status=Stylization.Status.QUEUED).order_by("queued_at", "pk")[:QUEUE_LOOKAHEAD]
        free_at: list[float] = []
        for row in running:
            left = self._running_left(row, speeds)
            self._finishes[row.pk] = left
            free_at.append(left if left is not None else 0.0)
        # The running jobs hold their workers; idle workers are free now.
        free_at = sorted(free_at)[:workers] + [0.0] * max(0, workers - len(free_at))
        heapq.heapify(free_at)
        for row in queued:
            if not speeds:
                self._finishes[row.pk] = None
                continue
            finish = heapq.heappop(free_at) + _job_seconds(speeds, row)
            heapq.heappush(free_at, finish)
            self._finishes[row.pk] = finish

    def _running_left(self, row: Stylization, speeds: list[Speed]) -> float | None:
        if row.eta_at is not None:
            return max(0.0, (row.eta_at - self.now).total_seconds())
        if not speeds or row.started_at is None:
            return None
        return max(0.0, _job_seconds(speeds, row) - (self.now - row.started_at).total_seconds())

    def seconds_left(self, stylization: Stylization) -> int | None:
        """Seconds until the row's result is expected; None when finished or not yet known."""
        if stylization.status not in Stylization.ACTIVE_STATUSES:
            return None
        if not self._loaded:
            self._load()
        left = self._finishes.get(stylization.pk)
        return None if left is None else math.ceil(left)


def _job_seconds(speeds: list[Speed], row: Stylization) -> float:
    """A job's estimate before it runs: the mean over the workers' curves (any may take it)."""
    stages = plan(row.params, (row.photo.width, row.photo.height))
    return sum(speed.job_seconds(stages) for speed in speeds) / len(speeds)


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
