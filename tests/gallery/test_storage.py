"""gallery.storage: a file appears whole under its name, or not at all, even when the
process writing it is killed mid-write."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from gallery import services
from gallery.storage import PARTIAL_DIR, AtomicFileSystemStorage
from stylizer.reconcile import stylization_reconcile
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

# A writer that sends one chunk, then hangs: the test kills it there.
_SLOW_WRITER = textwrap.dedent(
    """
    import time
    import django
    django.setup()
    from django.core.files.base import File
    from django.core.files.storage import default_storage

    class Slow(File):
        def chunks(self, chunk_size=None):
            yield b"\\x89PNG" + b"x" * 65536
            time.sleep(60)
            yield b"the rest"

    default_storage.save("results/half.png", Slow(None, name="half.png"))
    """
)


def _partial_files(media_root: Path) -> list[Path]:
    folder = media_root / PARTIAL_DIR
    return list(folder.iterdir()) if folder.exists() else []


def test_the_site_stores_files_through_the_atomic_storage():
    assert isinstance(default_storage, AtomicFileSystemStorage)


def test_saved_files_are_complete_and_never_overwritten(media_root):
    first = default_storage.save("results/x/a.png", ContentFile(b"one"))
    second = default_storage.save("results/x/a.png", ContentFile(b"two"))
    assert first == "results/x/a.png" and second != first and second.startswith("results/x/a_")
    assert (media_root / first).read_bytes() == b"one" and (media_root / second).read_bytes() == b"two"
    assert _partial_files(media_root) == []


def test_a_writer_killed_mid_write_leaves_no_file_under_the_name(media_root):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="nstsite.settings", MEDIA_ROOT=str(media_root))
    writer = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not any(path.stat().st_size for path in _partial_files(media_root)):
            assert writer.poll() is None and time.monotonic() < deadline, "the writer never started writing"
            time.sleep(0.05)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()

    assert not (media_root / "results" / "half.png").exists()
    [leftover] = _partial_files(media_root)
    assert leftover.name.endswith(".part")

    # The reconciler deletes such leftovers once they are old.
    assert stylization_reconcile()["partial_files"] == 0, "a fresh one may still be written"
    old = time.time() - services.PARTIAL_FILE_MAX_AGE - 1
    os.utime(leftover, (old, old))
    assert stylization_reconcile()["partial_files"] == 1
    assert _partial_files(media_root) == []
