"""Settings come from the environment and refuse unsafe or inconsistent values."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "DEBUG", "REDIS_URL")}
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
        ({"DEBUG": "false", "SECRET_KEY": "x" * 50}, "False"),
    ],
)
def test_values_come_from_the_environment(env, shown):
    loaded = _load_settings(**env)
    assert loaded.returncode == 0, loaded.stderr
    assert shown in loaded.stdout.split()


def test_inconsistent_heartbeat_settings_are_refused():
    loaded = _load_settings(STYLIZER_HEARTBEAT_INTERVAL="30", STYLIZER_STALE_AFTER="40")
    assert loaded.returncode != 0 and "STYLIZER_STALE_AFTER must be more than twice" in loaded.stderr


def test_a_redis_cache_url_shares_rate_limits_across_processes():
    code = "import nstsite.settings as s; print(s.CACHES['default']['BACKEND'], s.CACHES['default'].get('LOCATION'))"
    env = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    local = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert local.stdout.split()[0].endswith("LocMemCache")
    shared = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env | {"CACHE_URL": "redis://cache:6379/1"},
        capture_output=True,
        text=True,
    )
    assert shared.stdout.split() == ["django.core.cache.backends.redis.RedisCache", "redis://cache:6379/1"]


def test_an_unsupported_cache_url_is_refused_naming_what_is_allowed():
    loaded = _load_settings(CACHE_URL="memcached://cache:11211")
    assert loaded.returncode != 0
    assert "CACHE_URL must be a redis://, rediss:// or unix:// URL" in loaded.stderr
