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
TRUE = eta.Speed(rate=10.0, overhead=0.05)  # 10 s per megapixel-step + 50 ms a step


def _run(clock: eta.StageClock, plan, speed: eta.Speed, until_step: int) -> float:
    """Feed the clock `until_step` steps that take what `speed` says; return the time after them."""
    now, step = 0.0, 0
    for stage, (pixels, steps) in enumerate(plan, start=1):
        for _ in range(steps):
            if step == until_step:
                return now
            now += speed.step_seconds(pixels)
            clock.step(stage, now)
            step += 1
    return now


def _true_left(plan, speed, steps_done) -> float:
    left, seen = 0.0, 0
    for pixels, steps in plan:
        for _ in range(steps):
            if seen >= steps_done:
                left += speed.step_seconds(pixels)
            seen += 1
    return left


def test_a_fraction_of_the_steps_is_not_that_fraction_of_the_time():
    done = 60  # the whole coarsest stage: 36 % of the steps
    assert done / sum(steps for _, steps in LADDER) > 0.35
    spent = TRUE.job_seconds(LADDER) - _true_left(LADDER, TRUE, done)
    assert spent / TRUE.job_seconds(LADDER) < 0.15


def test_once_two_stage_sizes_are_timed_the_rest_is_predicted_from_their_pixels():
    clock = eta.StageClock(LADDER, start=0.0)
    _run(clock, LADDER, TRUE, until_step=60 + 40 + 1)  # two stages and a step of the third
    assert clock.remaining() == pytest.approx(_true_left(LADDER, TRUE, 101), rel=1e-6)


def test_before_any_step_the_workers_last_speed_is_used_and_scaled_to_this_job():
    prior = eta.Speed(rate=5.0, overhead=0.025)  # the same shape, on a machine twice as fast
    clock = eta.StageClock(LADDER, prior=prior, start=0.0)
    assert clock.remaining() == pytest.approx(prior.job_seconds(LADDER))
    _run(clock, LADDER, TRUE, until_step=10)  # this job runs at half that speed
    assert clock.remaining() == pytest.approx(_true_left(LADDER, TRUE, 10), rel=1e-6)


def test_without_a_prior_the_first_stage_is_extrapolated_by_pixels_and_refined():
    clock = eta.StageClock(LADDER, start=0.0)
    assert clock.remaining() is None, "nothing measured and no worker speed: no guess"
    _run(clock, LADDER, TRUE, until_step=5)
    early = clock.remaining()
    # Through the pixels alone, the overhead is counted as work: an over-estimate, never an under-.
    assert early >= _true_left(LADDER, TRUE, 5)
    clock = eta.StageClock(LADDER, start=0.0)
    _run(clock, LADDER, TRUE, until_step=61)
    assert clock.remaining() == pytest.approx(_true_left(LADDER, TRUE, 61), rel=1e-6)


def test_fit_refuses_a_negative_rate_or_overhead():
    assert eta.fit([(10_000, 1.0, 5)]) is None, "one size cannot separate rate from overhead"
    assert eta.fit([(10_000, 1.0, 5), (40_000, 0.5, 5)]) is None, "larger and faster: noise"
    speed = eta.fit([(1_000_000, 2.0, 5), (2_000_000, 3.0, 5)])
    assert (speed.rate, speed.overhead) == pytest.approx((1.0, 1.0))


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

    eta.speed_save("worker-a", eta.Speed(rate=100.0, overhead=0.0))  # 64x64 px: 0.4096 s a step, 4.096 s a job
    now = timezone.now()
    Stylization.objects.filter(pk=running.pk).update(
        status="running", started_at=now, heartbeat_at=now, eta_at=now + timezone.timedelta(seconds=30)
    )
    running.refresh_from_db()
    job = 10 * 100.0 * 64 * 64 / 1e6
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
    assert clock.remaining() > 100, "one step timed: the set-up is all we know"
    now = 5.0
    for _ in range(3):
        now += TRUE.step_seconds(LADDER[0][0])
        clock.step(1, now)
    per_step = TRUE.step_seconds(LADDER[0][0])
    assert clock.per_step(0) == pytest.approx(per_step)
    assert clock.remaining() == pytest.approx(
        (LADDER[0][1] - 4) * per_step + eta.Speed(rate=per_step / (LADDER[0][0] / 1e6)).job_seconds(LADDER[1:])
    )
