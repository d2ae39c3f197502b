"""What operators see: every Prometheus metric, ``/healthz``, log routing, the Alertmanager push."""
