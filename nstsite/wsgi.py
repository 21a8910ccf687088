"""WSGI entry point: `gunicorn nstsite.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nstsite.settings")
application = get_wsgi_application()
