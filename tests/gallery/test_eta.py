"""The wait shown to users (gallery/eta.py): the cost model, the stopwatch, the queue ahead."""

import math

import pytest
from django.utils import timezone

from gallery import eta, services
from gallery.models import Stylization
from stylizer.engine import StyleParams
from tests.gallery.factories import make_photo, make_style, make_user

# A ladder like the engine's: small coarse stages with many steps, few at full size.
LADDER = [(128 * 128, 60), (181 * 181, 40), (256 * 256, 30), (362 * 362, 20), (512 * 512, 15)]


def true_step(pixels: int) -> float:
    """A CPU's step time: 50 ms of overhead, and per pixel dearer as stages outgrow the caches."""
    return 0.05 + 10.0 * pixels / 1e6 * (1 + pixels / 100_000)


def _run(clock: eta.StageClock, plan, until_step: int, slower: float = 1.0) -> float:
    """Feed the clock `until_step` steps that take `true_step` x `slower`; return the time after them."""
    now, step = 0.0, 0
    for stage, (pixels, steps) in enumerate(plan, start=1):
        for _ in range(steps):
            if step == until_step:
                return now
            now += true_step(pixels) * slower
            clock.step(stage, now)
            step += 1
    return now


def _true_left(plan, steps_done, slower: float = 1.0) -> float:
    left, seen = 0.0, 0
    for pixels, steps in plan:
        for _ in range(steps):
            if seen >= steps_done:
                left += true_step(pixels) * slower
            seen += 1
    return left


def test_a_fraction_of_the_steps_is_not_that_fraction_of_the_time():
    done = 60  # the whole coarsest stage: 36 % of the steps
    assert done / sum(steps for _, steps in LADDER) > 0.35
    total = _true_left(LADDER, 0)
    assert (total - _true_left(LADDER, done)) / total < 0.1


def test_a_curve_goes_through_its_points_and_keeps_a_power_law_between_and_beyond():
    speed = eta.Speed.of([(10_000, 1.0), (40_000, 8.0)])  # exponent 1.5
    assert speed.step_seconds(10_000) == pytest.approx(1.0)
    assert speed.step_seconds(20_000) == pytest.approx(2**1.5)
    assert speed.step_seconds(160_000) == pytest.approx(64.0), "beyond: the last pair's exponent"
    assert speed.step_seconds(2_500) == pytest.approx(0.25), "below: at most in proportion"
    flat = eta.Speed.of([(10_000, 1.0), (40_000, 2.0)])  # exponent 0.5: overhead-bound
    assert flat.step_seconds(160_000) == pytest.approx(16.0), "never cheaper per pixel beyond the points"
    assert eta.Speed.of([(10_000, 1.0)]).step_seconds(30_000) == pytest.approx(3.0)


def test_a_worker_that_ran_this_ladder_before_predicts_the_job_from_its_first_steps():
    first = eta.StageClock(LADDER, start=0.0)
    _run(first, LADDER, until_step=sum(steps for _, steps in LADDER))
    curve = first.speed()
    assert curve.job_seconds(LADDER) == pytest.approx(_true_left(LADDER, 0), rel=1e-6)

    # The next job, on a machine now twice as busy: its first stage's steps scale the curve.
    clock = eta.StageClock(LADDER, prior=curve, start=0.0)
    assert clock.remaining() == pytest.approx(_true_left(LADDER, 0), rel=1e-6), "before any step: the curve"
    _run(clock, LADDER, until_step=10, slower=2.0)
    assert clock.remaining() == pytest.approx(_true_left(LADDER, 10, slower=2.0), rel=1e-6)


def test_a_fresh_worker_extrapolates_from_the_stages_it_timed_and_refines_as_they_come():
    clock = eta.StageClock(LADDER, start=0.0)
    assert clock.remaining() is None, "nothing measured and no worker's curve: no guess"
    errors = []
    for done in (5, 61, 101, 131, 151):
        clock = eta.StageClock(LADDER, start=0.0)
        _run(clock, LADDER, until_step=done)
        errors.append(abs(clock.remaining() - _true_left(LADDER, done)) / _true_left(LADDER, done))
    # With one size timed, it can only go in proportion to the pixels (here 42 % short: the
    # larger stages cost more per pixel); each larger stage timed brings it closer.
    assert errors[2:] == sorted(errors[2:], reverse=True) and errors[2] < errors[0], errors
    assert errors[-1] < 1e-6, "in the last stage, its own measured steps"


def test_the_workers_curve_merges_new_sizes_and_replaces_old_times():
    old = eta.Speed.of([(10_000, 1.0), (40_000, 4.0)])
    new = old.merged([(40_000, 8.0), (160_000, 40.0)])
    assert new.points == ((10_000, 2.0), (40_000, 8.0), (160_000, 40.0)), "the machine is twice as slow now"
    crowded = eta.Speed.of((1000 + i, 1.0 + i) for i in range(40))
    assert len(crowded.points) == eta.MAX_POINTS


def test_the_plan_follows_the_stages_of_the_parameters_and_the_photos_aspect():
    params = StyleParams(size=512, preset="standard")
    stages = params.stages()
    plan = eta.plan(params.to_json(), (800, 600))
    assert [steps for _, steps in plan] == [stage.steps for stage in stages]
    assert plan[-1][0] == 512 * 384


def test_the_step_cap_of_the_workers_is_in_the_plan(settings):
    settings.STYLIZER_MAX_STEPS = 7
    assert sum(steps for _, steps in eta.plan(StyleParams(size=256).to_json(), (64, 64))) == 7


def test_describe_says_the_wait_in_words():
    assert eta.describe(None) == ""
    assert eta.describe(4) == "a few seconds left"
    assert eta.describe(42) == "about 45 s left"
    assert eta.describe(61) == "about 2 min left"
    assert eta.describe(3 * 3600 + 60) == "about 3 h 1 min left"


@pytest.mark.django_db(transaction=True)
def test_a_queued_job_waits_for_the_running_one_and_the_jobs_ahead(
    idle_queue, redis_connection, member_api, monkeypatch
):
    redis_connection.delete(eta.SPEEDS_KEY)
    workers = 1  # workers killed by other tests may still be registered in Redis for a while
    monkeypatch.setattr(eta, "_worker_count", lambda: workers)

    user = make_user()
    photo, style = make_photo(user, size=(64, 64)), make_style()
    params = StyleParams(size=64, steps=10)
    running, ahead, mine = (
        services.stylization_create(owner=user, photo=photo, styles=[(style, 1.0)], params=params) for _ in range(3)
    )
    assert eta.stylization_eta(stylization=mine) is None, "no worker has measured its speed yet"

    eta.speed_save("worker-a", eta.Speed.of([(64 * 64, 0.4096)]))  # 0.4096 s a step, 4.096 s a job
    now = timezone.now()
    Stylization.objects.filter(pk=running.pk).update(
        status="running", started_at=now, heartbeat_at=now, eta_at=now + timezone.timedelta(seconds=30)
    )
    running.refresh_from_db()
    job = 10 * 0.4096
    assert eta.QueueSnapshot(now).seconds_left(running) == 30
    assert eta.QueueSnapshot(now).seconds_left(ahead) == math.ceil(30 + job)
    assert eta.QueueSnapshot(now).seconds_left(mine) == math.ceil(30 + 2 * job)
    workers = 2  # the second worker is idle: it takes the next job at once, then the one after
    assert eta.QueueSnapshot(now).seconds_left(ahead) == math.ceil(job)
    assert eta.QueueSnapshot(now).seconds_left(mine) == math.ceil(2 * job)
    workers = 1

    # The API and the status the result page polls say the same.
    member_api.force_authenticate(user)
    body = member_api.get(f"/api/v1/stylizations/{mine.pk}/").json()
    assert 30 + 2 * job - 2 <= body["eta_seconds"] <= 30 + 2 * job + 1
    assert body["eta_at"]
    queued = member_api.get("/api/v1/stylizations/?status=queued").json()
    assert all(item["eta_seconds"] for item in queued["results"])
    redis_connection.delete(eta.SPEEDS_KEY)


def test_a_stages_set_up_in_its_first_step_does_not_inflate_the_estimate():
    clock = eta.StageClock(LADDER, start=0.0)
    clock.step(1, 5.0)  # loading the images and the style targets: 5 s before the first step ends
    per_step = true_step(LADDER[0][0])
    assert clock.remaining() > 100 * per_step, "one step timed: the set-up is all we know"
    now = 5.0
    for _ in range(3):
        now += per_step
        clock.step(1, now)
    assert clock.per_step(0) == pytest.approx(per_step)
    assert clock.remaining() == pytest.approx(
        eta.Speed.of([(LADDER[0][0], per_step)]).job_seconds(LADDER) - 4 * per_step
    )
