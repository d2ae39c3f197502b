"""The Alertmanager push registered on the worker's app (the service itself: raqib.observability.alertmanager)."""

from __future__ import annotations

from raqib.observability.alertmanager import AlertmanagerService
from raqib.streams.app import app, settings


@app.service
class AlertmanagerPush(AlertmanagerService):
    """Pushes to ``RAQIB_ALERTMANAGER_URL`` when it is set; the story agent enqueues into ``client``."""

    url = settings.alertmanager_url
