"""What ``celery -A lakechat.jobs.celery_worker worker`` finds: the app on the configured queue.

Kept apart from ``celery_app`` so that the server and ``lakechat jobs worker``, which build
their own app, do not read the settings and build another one just by importing it.
"""

from __future__ import annotations

from lakechat.jobs.celery_app import make_app
from lakechat.settings import load_settings

_settings = load_settings()
app = make_app(_settings.redis_url or "redis://127.0.0.1:6379/0", _settings.jobs_queue)
