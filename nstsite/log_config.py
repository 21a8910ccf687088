"""The LOGGING setting: everything to the console (the process manager keeps it)."""

from __future__ import annotations


def logging_config(level: str) -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"console": {"class": "logging.StreamHandler"}},
        "root": {"handlers": ["console"], "level": level},
        # django-axes logs every successful log-in at INFO; failures and lockouts are warnings.
        "loggers": {"axes": {"level": "WARNING"}},
    }
