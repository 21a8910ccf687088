"""stylizer.worker: the worker refuses a device it cannot use before taking any job (the settings refuse
an unknown device name: tests/nstsite/test_settings.py)."""

import os

import django_rq
import pytest
import torch
from django.core.exceptions import ImproperlyConfigured

from stylizer.engine import ImageError
from stylizer.worker import StylizerWorker
from tests.gallery.factories import make_stylization


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_refused_when_the_worker_starts(settings):
    settings.STYLIZER_DEVICE = "cuda"
    queue = django_rq.get_queue(settings.RQ_QUEUE)
    worker = StylizerWorker([queue], connection=queue.connection)
    with pytest.raises(ImproperlyConfigured, match="STYLIZER_DEVICE is 'cuda', but no CUDA GPU is available"):
        worker.work(burst=True)


def test_settings_choose_the_stylizer_worker():
    assert django_rq.workers.get_worker_class() is StylizerWorker


@pytest.mark.django_db(transaction=True)
def test_torchvision_weights_setting_reaches_the_engine(settings, monkeypatch, tmp_path, idle_queue):
    """The worker hands the weights path to the engine explicitly, for warm-up and for every
    job (never through the environment)."""
    from stylizer import run as run_module
    from stylizer import worker as worker_module

    seen = []
    monkeypatch.setattr(worker_module, "warm_up", lambda device, weights: seen.append((device, weights)))
    settings.STYLIZER_DEVICE = "cpu"
    settings.STYLIZER_TORCHVISION_WEIGHTS = str(tmp_path / "vgg19.pth")
    monkeypatch.setattr(worker_module.torch, "set_num_threads", lambda threads: None)  # keep this process's
    monkeypatch.setattr(StylizerWorker, "_start_engine", lambda self: None)  # no fork of the test process
    queue = django_rq.get_queue(settings.RQ_QUEUE)
    monkeypatch.setattr(worker_module.Worker, "work", lambda self, *args, **kwargs: True)
    StylizerWorker([queue], connection=queue.connection).work(burst=True)
    assert seen == [("cpu", str(tmp_path / "vgg19.pth"))]
    assert "STYLIZER_VGG_WEIGHTS" not in os.environ

    painted = []

    def engine(content, styles, params, **kwargs):
        painted.append(params)
        raise ImageError("stop here")

    monkeypatch.setattr(run_module, "stylize", engine)
    stylization = make_stylization()
    run_module.stylization_run(stylization_id=str(stylization.pk), attempt=stylization.attempt, device="cpu")
    assert [params.weights for params in painted] == [str(tmp_path / "vgg19.pth")]
