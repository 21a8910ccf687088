"""Each CPU worker's engine takes its share of the host's cores, so several workers on one
host do not oversubscribe OpenMP (stylizer.threads)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from stylizer import threads
from stylizer.worker import StylizerWorker


@pytest.mark.parametrize(
    ("cores", "workers", "expected"),
    [(2, 1, 2), (2, 2, 1), (16, 4, 4), (16, 3, 5), (2, 4, 1)],
)
def test_an_engine_gets_the_usable_cores_divided_by_the_workers_on_the_host(
    settings, monkeypatch, cores, workers, expected
):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "usable_cores", lambda: cores)
    settings.STYLIZER_WORKERS_PER_HOST, settings.STYLIZER_TORCH_THREADS = workers, 0
    assert threads.engine_threads() == expected


def test_the_thread_count_can_be_set_outright(settings, monkeypatch):
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    settings.STYLIZER_WORKERS_PER_HOST, settings.STYLIZER_TORCH_THREADS = 2, 6
    assert threads.engine_threads() == 6


@pytest.mark.parametrize(("omp", "expected"), [("1", 1), ("4,2", 4), ("lots", 8), ("", 8)])
def test_without_a_count_of_its_own_omp_num_threads_is_honoured(settings, monkeypatch, omp, expected):
    monkeypatch.setattr(threads, "usable_cores", lambda: 8)
    monkeypatch.setenv("OMP_NUM_THREADS", omp)
    settings.STYLIZER_WORKERS_PER_HOST, settings.STYLIZER_TORCH_THREADS = 1, 0
    assert threads.engine_threads() == expected


@pytest.mark.parametrize(("threads_", "workers"), [(-1, 1), (0, 0)])
def test_nonsense_counts_are_refused_saying_what_is_allowed(settings, threads_, workers):
    settings.STYLIZER_TORCH_THREADS, settings.STYLIZER_WORKERS_PER_HOST = threads_, workers
    with pytest.raises(ImproperlyConfigured, match="STYLIZER_WORKERS_PER_HOST 1 or more"):
        threads.engine_threads()


def test_the_worker_gives_its_engine_that_share(settings, monkeypatch, redis_connection):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "usable_cores", lambda: 8)
    settings.STYLIZER_WORKERS_PER_HOST, settings.STYLIZER_TORCH_THREADS = 4, 0
    worker = StylizerWorker([settings.RQ_QUEUE], connection=redis_connection)
    assert worker._engine_threads == 2
