"""E-mail settings (password-reset mails): the console by default, SMTP from the environment."""

import os
import subprocess
import sys

from tests.conftest import ROOT

SHOW = "import nstsite.settings as s; print(s.EMAIL_BACKEND.rsplit('.', 2)[-2], s.DEFAULT_FROM_EMAIL, sep='|')"
SMTP = (
    "import nstsite.settings as s; "
    "print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL)"
)


def _settings(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("EMAIL_", "DEFAULT_FROM"))}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean | env, capture_output=True, text=True)


def test_without_an_smtp_host_mails_go_to_the_console():
    loaded = _settings(SHOW)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "console|nstsite <noreply@localhost>"


def test_an_smtp_host_from_the_environment_sends_with_starttls():
    env = {"EMAIL_HOST": "smtp.example.com", "EMAIL_HOST_USER": "nst", "DEFAULT_FROM_EMAIL": "nst@example.com"}
    assert _settings(SHOW, **env).stdout.strip() == "smtp|nst@example.com"
    assert _settings(SMTP, **env).stdout.split() == ["smtp.example.com", "587", "nst", "True", "False"]
    implicit = env | {"EMAIL_PORT": "465", "EMAIL_USE_TLS": "false", "EMAIL_USE_SSL": "true"}
    assert _settings(SMTP, **implicit).stdout.split() == ["smtp.example.com", "465", "nst", "False", "True"]


def test_smtp_without_a_sender_or_with_both_tls_modes_is_refused():
    missing = _settings(SHOW, EMAIL_HOST="smtp.example.com")
    assert missing.returncode != 0 and "DEFAULT_FROM_EMAIL must be set with EMAIL_HOST" in missing.stderr
    both = _settings(SHOW, EMAIL_HOST="smtp.example.com", DEFAULT_FROM_EMAIL="a@b.c", EMAIL_USE_SSL="true")
    assert both.returncode != 0 and "EMAIL_USE_TLS (STARTTLS" in both.stderr
