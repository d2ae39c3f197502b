"""Optional push of alerts to Prometheus Alertmanager, as a Faust-managed service (started and drained with the worker)."""

from __future__ import annotations

import mode

from streams.alertmanager import AlertmanagerClient, client_from_settings
from streams.app import app, settings

#: Set while the worker runs and RAQIB_ALERTMANAGER_URL is configured; the story agent enqueues into it.
client: AlertmanagerClient | None = None


@app.service
class AlertmanagerPush(mode.Service):
    """Owns the client's lifetime: start with the worker, drain the bounded queue on shutdown."""

    async def on_start(self) -> None:
        global client
        client = client_from_settings(settings.alertmanager_url)
        if client is not None:
            await client.start()

    async def on_stop(self) -> None:
        global client
        if client is not None:
            await client.stop()
            client = None
