"""stylizer.worker: the worker refuses a device it does not know before taking any job."""

import django_rq
import pytest
from django.core.exceptions import ImproperlyConfigured

from stylizer.worker import StylizerWorker


def test_unknown_device_is_refused_naming_the_allowed_ones(settings):
    settings.STYLIZER_DEVICE = "tpu"
    queue = django_rq.get_queue(settings.RQ_QUEUE)
    worker = StylizerWorker([queue], connection=queue.connection)
    with pytest.raises(ImproperlyConfigured, match="STYLIZER_DEVICE must be one of auto, cpu, cuda, mps, not 'tpu'"):
        worker.work(burst=True)


def test_settings_choose_the_stylizer_worker():
    assert django_rq.workers.get_worker_class() is StylizerWorker
