"""Management commands: import_styles and runstack."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from gallery.models import Style
from tests.conftest import ROOT
from tests.gallery.factories import image_bytes


@pytest.mark.django_db
def test_import_styles_adds_each_image_once_with_metadata_from_csv(tmp_path):
    (tmp_path / "starry_night.jpg").write_bytes(image_bytes((40, 30)))
    (tmp_path / "blue-period.png").write_bytes(image_bytes((30, 30), "PNG"))
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    (tmp_path / "notes.txt").write_text("ignored")
    (tmp_path / "styles.csv").write_text(
        "file,title,artist,year\nstarry_night.jpg,The Starry Night,Vincent van Gogh,1889\n"
    )
    out, err = StringIO(), StringIO()
    call_command("import_styles", str(tmp_path), stdout=out, stderr=err)
    assert "2 imported, 0 already there, 1 refused" in out.getvalue()
    assert "broken.jpg" in err.getvalue()
    starry = Style.objects.get(title="The Starry Night")
    assert (starry.artist, starry.year, starry.is_curated, starry.is_active) == ("Vincent van Gogh", "1889", True, True)
    assert Style.objects.filter(title="Blue Period").exists()

    call_command("import_styles", str(tmp_path), stdout=out, stderr=StringIO())
    assert "0 imported, 2 already there, 1 refused" in out.getvalue()


def test_import_styles_reads_the_shared_paintings(shared_images, tmp_path, django_db_blocker):
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("import_styles", str(shared_images / "styles"), "--inactive", stdout=out, stderr=StringIO())
        imported = Style.objects.filter(is_active=False, title="Starry Night")
        assert imported.exists()
        Style.objects.filter(is_active=False).delete()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_runstack_starts_everything_and_ctrl_c_stops_it(tmp_path):
    """The newcomer's command: fresh database, embedded Redis, worker, web server, then Ctrl-C."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "STYLIZER_DEVICE": "cpu",
        "PYTHONUNBUFFERED": "1",
    }
    stack = subprocess.Popen(
        [sys.executable, "manage.py", "runstack", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/styles/", timeout=2) as response:
                    page = response.read().decode()
                break
            except OSError:
                assert stack.poll() is None and time.monotonic() < deadline, "runstack did not serve the site"
                time.sleep(0.3)
        assert "Swirling Night" in page  # the starter styles of a fresh install
        assert (tmp_path / "var" / "redis.sock").exists()
    finally:
        os.killpg(stack.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        output, _ = stack.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in output
    # A fresh install has no landing-page examples yet: the stack paints them in the background.
    assert "Painting the landing page's examples in the background" in output
    assert "Stopped." in output
    assert not (tmp_path / "var" / "redis.sock").exists() or not _answers(tmp_path / "var" / "redis.sock")
    assert _processes_mentioning(str(tmp_path)) == []


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that contain `text` (read from /proc; no pgrep needed)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command:
            found.append(command)
    return found


def _answers(socket_path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(socket_path))
        except OSError:
            return False
        return True
