"""Settings come from the environment and refuse unsafe or inconsistent values."""

import os
import secrets
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _load_settings(**env: str) -> subprocess.CompletedProcess:
    ours = ("SECRET_KEY", "DEBUG", "REDIS_URL", "DATABASE_URL", "ALLOWED_HOSTS")  # a developer's own, maybe
    clean = {key: value for key, value in os.environ.items() if key not in ours}
    code = "import nstsite.settings as s; print(s.DEBUG, s.REDIS_URL, s.DATABASES['default']['ENGINE'])"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean | env, capture_output=True, text=True)


def test_local_defaults_need_nothing_set():
    loaded = _load_settings()
    assert loaded.returncode == 0, loaded.stderr
    debug, redis_url, engine = loaded.stdout.split()
    assert debug == "True" and redis_url.startswith("unix://") and redis_url.endswith("var/redis.sock?db=0")
    assert engine == "django.db.backends.sqlite3"


def test_production_refuses_to_start_without_a_secret_key():
    loaded = _load_settings(DEBUG="false")
    assert loaded.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is false." in loaded.stderr


@pytest.mark.parametrize(
    ("env", "shown"),
    [
        ({"REDIS_URL": "redis://cache:6379/2"}, "redis://cache:6379/2"),
        ({"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "nst.example.com"}, "False"),
    ],
)
def test_values_come_from_the_environment(env, shown):
    loaded = _load_settings(**env)
    assert loaded.returncode == 0, loaded.stderr
    assert shown in loaded.stdout.split()


def test_inconsistent_heartbeat_settings_are_refused():
    loaded = _load_settings(STYLIZER_HEARTBEAT_INTERVAL="30", STYLIZER_STALE_AFTER="40")
    assert loaded.returncode != 0 and "STYLIZER_STALE_AFTER must be more than twice" in loaded.stderr


def test_the_cache_is_shared_by_default_on_the_queues_redis_in_the_next_database():
    """Rate limits count in the cache: every web process must see the same counts (tests/nstsite/test_cache.py)."""
    code = "import nstsite.settings as s; print(s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'])"
    by_default = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_only({"REDIS_URL": "redis://redis:6379/0"}), capture_output=True
    )
    assert by_default.stdout.decode().split() == ["nstsite.cache.SharedCache", "redis://redis:6379/1"]
    named = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_only({"CACHE_URL": "redis://cache:6379/5"}), capture_output=True
    )
    assert named.stdout.decode().split() == ["nstsite.cache.SharedCache", "redis://cache:6379/5"]


def test_an_unsupported_cache_url_is_refused_naming_what_is_allowed():
    loaded = _load_settings(CACHE_URL="memcached://cache:11211")
    assert loaded.returncode != 0
    assert "CACHE_URL must be a redis://, rediss:// or unix:// URL" in loaded.stderr


def _settings_values(names: str, **env: str) -> subprocess.CompletedProcess:
    code = f"import nstsite.settings as s; print(*[getattr(s, name) for name in {names.split()!r}])"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_only(env), capture_output=True, text=True)


def _only(env: dict[str, str]) -> dict[str, str]:
    """Nothing of this process's environment but what a shell needs, and `env`."""
    return {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ} | env


PRODUCTION = {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "nst.example.com"}


def _deploy_check(**env: str) -> subprocess.CompletedProcess:
    """The README's production check, as CI runs it."""
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(command, cwd=ROOT, env=_only(env), capture_output=True, text=True)


def test_production_with_only_the_required_variables_passes_the_deploy_check():
    checked = _deploy_check(**PRODUCTION)
    assert checked.returncode == 0, checked.stderr + checked.stdout
    assert "System check identified no issues" in checked.stdout


def test_the_deploy_check_fails_when_production_turns_a_protection_off():
    checked = _deploy_check(**PRODUCTION, SECURE_HSTS_SECONDS="0", SECURE_SSL_REDIRECT="false")
    assert checked.returncode != 0
    assert "security.W004" in checked.stderr and "security.W008" in checked.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    loaded = _settings_values("DEBUG", DEBUG="false", SECRET_KEY=PRODUCTION["SECRET_KEY"])
    assert loaded.returncode != 0
    assert "ALLOWED_HOSTS must be set when DEBUG is false" in loaded.stderr


def test_production_defaults_are_https_only_with_a_year_of_hsts():
    names = "SECURE_SSL_REDIRECT SECURE_HSTS_SECONDS SECURE_HSTS_INCLUDE_SUBDOMAINS SECURE_HSTS_PRELOAD "
    names += "SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE"
    loaded = _settings_values(names, **PRODUCTION)
    assert loaded.stdout.split() == ["True", "31536000", "True", "False", "True", "True"], loaded.stderr
    preload = _settings_values("SECURE_HSTS_PRELOAD SILENCED_SYSTEM_CHECKS", **PRODUCTION, SECURE_HSTS_PRELOAD="true")
    assert preload.stdout.split() == ["True", "[]"], "the preload reminder is silenced only while preload is off"


def test_the_request_limit_fits_two_images_and_the_form_by_default():
    loaded = _settings_values("UPLOAD_MAX_BYTES REQUEST_MAX_BYTES", UPLOAD_MAX_BYTES="1000000")
    assert loaded.stdout.split() == ["1000000", str(2 * 1_000_000 + 2**20)], loaded.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"UPLOAD_MAX_BYTES": "1000000", "REQUEST_MAX_BYTES": "999999"}, "REQUEST_MAX_BYTES must be at least"),
        ({"TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT must be 0"),
        ({"LOGIN_FAILURE_LIMIT": "0"}, "LOGIN_FAILURE_LIMIT must be at least 1"),
        ({"LOGIN_COOLOFF_MINUTES": "0"}, "LOGIN_COOLOFF_MINUTES more than 0"),
    ],
)
def test_inconsistent_security_settings_are_refused(env, message):
    loaded = _settings_values("DEBUG", **env)
    assert loaded.returncode != 0 and message in loaded.stderr


def test_rate_limits_and_the_login_lock_trust_the_same_number_of_proxies():
    loaded = _settings_values("TRUSTED_PROXY_COUNT REST_FRAMEWORK", TRUSTED_PROXY_COUNT="2")
    assert loaded.stdout.startswith("2 ") and "'NUM_PROXIES': 2" in loaded.stdout


@pytest.mark.parametrize("sizes", ["8,128", "128,99999", "large", "", "256;512"])
def test_output_sizes_outside_the_engines_range_are_refused_naming_it(sizes):
    loaded = _settings_values("STYLIZER_SIZES", STYLIZER_SIZES=sizes)
    assert loaded.returncode != 0
    assert "ImproperlyConfigured: STYLIZER_SIZES must be a comma-separated list of whole numbers of pixels" in (
        loaded.stderr
    )
    assert f"from 16 to 4096, e.g. 256,512,1024; not {sizes!r}." in loaded.stderr


def test_output_sizes_are_offered_in_order_once_each():
    loaded = _settings_values("STYLIZER_SIZES", STYLIZER_SIZES="512, 128,512")
    assert loaded.stdout.split() == ["(128,", "512)"], loaded.stderr


def test_an_unknown_device_is_refused_naming_the_allowed_ones():
    loaded = _settings_values("STYLIZER_DEVICE", STYLIZER_DEVICE="tpu")
    assert loaded.returncode != 0
    assert "STYLIZER_DEVICE must be one of auto, cpu, cuda, mps, not 'tpu'." in loaded.stderr


def test_the_settings_load_without_torch():
    """Checking the engine's sizes and devices costs the settings no torch import (seconds, per process)."""
    code = "import sys, nstsite.settings; print('torch' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_only({}), capture_output=True, text=True)
    assert loaded.stdout.split() == ["False"], loaded.stderr
