"""The worker's app: the Faust app with every agent and service registered on it.

``raqib worker`` runs it (topics created and models loaded first); ``faust -A raqib.streams.worker worker``
starts the same app without those two steps.
"""

from __future__ import annotations

from raqib.streams import agents
from raqib.streams.app import app

__all__ = ["agents", "app"]
